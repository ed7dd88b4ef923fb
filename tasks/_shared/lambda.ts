import type { PipelineDeps } from '../../src/pipeline/deps';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { runMetricsEmf } from '../../src/runtime/run-metrics';
import { createAwsDeps } from '../../src/runtime/aws-deps';
import type { TaskName } from '../../src/runtime/registry';
import { TASK_FACTORIES, type TaskHandler } from '../../src/runtime/task-factories';

let deps: PipelineDeps | undefined;

/** The process's PipelineDeps: built on the first invocation (environment read, SDK clients created), then reused. */
function awsDeps(): PipelineDeps {
  deps ??= createAwsDeps(process.env);
  return deps;
}

/**
 * The Lambda entry of one registry task: the same handler the local runtime calls, over AWS adapters.
 * Deps are built once per execution environment (lazily, so importing the module needs no environment;
 * a missing variable fails the first invocation with EventLake.ConfigError naming it). Errors pass
 * through unwrapped: Lambda reports their `name` as errorType, which the ASL's Retry/Catch match.
 */
export function lambdaHandler(task: TaskName, buildDeps: () => PipelineDeps = awsDeps): TaskHandler {
  const factory = TASK_FACTORIES[task];
  if (factory === undefined) throw new TypeError(`lambdaHandler: unknown task ${String(task)}`);
  let handler: TaskHandler | undefined;
  let pipelineName = '';
  return async (event: unknown) => {
    if (handler === undefined) {
      const built = buildDeps();
      pipelineName = built.config.pipelineName;
      handler = factory(built);
    }
    const result = await handler(event);
    // A committed run publishes its counts (the quarantine-rate alarm reads them) through the log.
    if (task === 'commit-batch') console.log(runMetricsEmf(result as RunSummary, pipelineName, new Date()));
    return result;
  };
}
