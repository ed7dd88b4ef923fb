import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_NAMES, type TaskName } from '../../src/workflow/registry';
import { roleLogicalIdOf } from './render';
import { resolverFor } from './resolve';
import { REPO_ROOT } from './synth';
import { isRecord, type CfnTemplate, type FakeEnvironment } from './template-types';

export interface TaskLambda {
  readonly logicalId: string;
  readonly arn: string;
  readonly functionName: string;
  /** The registry task (src/workflow/registry.ts TASK_NAMES). */
  readonly task: TaskName;
  /** `tasks/<task>/lambda.ts`, relative to the repository root. */
  readonly entry: string;
  /** Environment.Variables, resolved. */
  readonly environment: Readonly<Record<string, string>>;
  readonly roleLogicalId: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
}

/**
 * Lambda defaults when the template leaves them out: Timeout 3 s, MemorySize 128 MiB.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html#cfn-lambda-function-timeout
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html#cfn-lambda-function-memorysize
 */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MIB = 128;

/**
 * Every task Lambda of the template, one per registry task.
 *
 * Mapping a function to its task: the template carries no construct path (path metadata is off unless
 * the CDK CLI turns it on) and logical ids are hashes of construct ids, but cdk/constructs/task-function.ts
 * names every task function `<name prefix>-<task>`, and FunctionName is in the template. So a function is
 * the task function of `task` when its resolved FunctionName ends in `-<task>` for exactly one registry
 * task; functions whose name ends in no task (CDK's own custom-resource handlers) are not task functions.
 * Then every registry task must have exactly one function, all sharing one prefix, and its
 * `tasks/<task>/lambda.ts` must exist: any drift in the naming throws instead of silently mapping wrong.
 */
export function lambdaFunctions(template: CfnTemplate, env: Partial<FakeEnvironment> = {}): TaskLambda[] {
  const r = resolverFor(template, env);
  const found: TaskLambda[] = [];
  for (const logicalId of r.logicalIdsOfType('AWS::Lambda::Function')) {
    const props = r.properties(logicalId);
    if (props.FunctionName === undefined) continue;
    const functionName = r.physicalName(logicalId);
    const tasks = TASK_NAMES.filter((task) => functionName.endsWith(`-${task}`));
    if (tasks.length === 0) continue;
    const task = tasks[0];
    if (tasks.length > 1 || task === undefined)
      throw new Error(
        `${logicalId}: function name ${functionName} ends in more than one task: ${tasks.join(', ')}`,
      );
    const entry = `tasks/${task}/lambda.ts`;
    if (!existsSync(join(REPO_ROOT, entry))) throw new Error(`${logicalId}: ${entry} does not exist`);

    const variables = isRecord(props.Environment) ? props.Environment.Variables : undefined;
    const environment: Record<string, string> = {};
    if (isRecord(variables)) {
      for (const [key, value] of Object.entries(variables))
        environment[key] = r.resolveString(value, `${logicalId}.Environment.Variables.${key}`);
    }
    found.push({
      logicalId,
      arn: r.getAtt(logicalId, 'Arn'),
      functionName,
      task,
      entry,
      environment,
      roleLogicalId: roleLogicalIdOf(
        r,
        r.resolveString(props.Role, `${logicalId}.Role`),
        `${logicalId}.Role`,
      ),
      timeoutSeconds: numberOr(props.Timeout, DEFAULT_TIMEOUT_SECONDS, `${logicalId}.Timeout`),
      memoryMiB: numberOr(props.MemorySize, DEFAULT_MEMORY_MIB, `${logicalId}.MemorySize`),
    });
  }

  for (const task of TASK_NAMES) {
    const count = found.filter((f) => f.task === task).length;
    if (count !== 1) throw new Error(`task ${task}: expected one Lambda function, found ${count}`);
  }
  const prefixes = new Set(found.map((f) => f.functionName.slice(0, -f.task.length - 1)));
  if (prefixes.size !== 1)
    throw new Error(`task functions have different name prefixes: ${[...prefixes].join(', ')}`);
  return found.sort((a, b) => TASK_NAMES.indexOf(a.task) - TASK_NAMES.indexOf(b.task));
}

function numberOr(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw new Error(`${where}: expected a number, got ${JSON.stringify(value)}`);
}
