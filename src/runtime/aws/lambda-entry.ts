import type { PipelineDeps } from '../../pipeline/deps';
import type { RunSummary } from '../../pipeline/run-summary';
import type { TaskName } from '../../workflow/registry';
import { runMetricsEmf } from '../../workflow/run-metrics';
import type { TaskFactory, TaskHandler } from '../../../tasks/_shared/task';
import { createAwsDeps } from './deps';

let deps: PipelineDeps | undefined;

/** The process's PipelineDeps: built on the first invocation (environment read, SDK clients created), then reused. */
function awsDeps(): PipelineDeps {
  deps ??= createAwsDeps(process.env);
  return deps;
}

/**
 * The Lambda entry of one registry task: the same handler the local runtime calls, over AWS adapters.
 * Each tasks/<task>/lambda.ts passes its own handler factory, so a function's bundle holds its own task
 * only (tests/verify/lambda-bundles.test.ts). Deps are built once per execution environment (lazily, so
 * importing the module needs no environment; a missing variable fails the first invocation with
 * EventLake.ConfigError naming it). Errors pass through unwrapped: Lambda reports their `name` as
 * errorType, which the ASL's Retry/Catch match.
 */
export function lambdaHandler(task: TaskName, factory: TaskFactory, buildDeps: () => PipelineDeps = awsDeps): TaskHandler {
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
