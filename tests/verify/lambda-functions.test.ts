import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_SPECS } from '../../cdk/constructs/task-specs';
import { TASK_NAMES } from '../../src/workflow/registry';
import {
  lambdaFunctions,
  REPO_ROOT,
  synthesizeForVerify,
  TemplateResolver,
  type CfnTemplate,
  type TaskLambda,
  type VerifySynthesis,
} from '../../verify/template';

let synth: VerifySynthesis;
let functions: TaskLambda[];

beforeAll(() => {
  synth = synthesizeForVerify('dev');
  functions = lambdaFunctions(synth.template, { stackName: synth.stackName });
});

/** The template with one resource's Properties changed by `edit`. */
function editFunction(logicalId: string, edit: (props: Record<string, unknown>) => void): CfnTemplate {
  const template = structuredClone(synth.template) as {
    Resources: Record<string, { Properties: Record<string, unknown> }>;
  };
  const resource = template.Resources[logicalId];
  if (resource === undefined) throw new Error(`no ${logicalId}`);
  edit(resource.Properties);
  return template as unknown as CfnTemplate;
}

describe('lambdaFunctions', () => {
  test('one function per registry task, in registry order, each with its tasks/<task>/lambda.ts', () => {
    expect(functions.map((f) => f.task)).toEqual([...TASK_NAMES]);
    for (const f of functions) {
      expect(f.entry).toBe(`tasks/${f.task}/lambda.ts`);
      expect(existsSync(join(REPO_ROOT, f.entry))).toBe(true);
    }
  });

  test('ARN, name, role, timeout and memory are the resolved template values', () => {
    for (const f of functions) {
      expect(f.functionName).toBe(`eventlake-dev-${f.task}`);
      expect(f.arn).toBe(`arn:aws:lambda:us-east-1:123456789012:function:eventlake-dev-${f.task}`);
      expect(synth.template.Resources[f.roleLogicalId]?.Type).toBe('AWS::IAM::Role');
      expect([f.task, f.timeoutSeconds, f.memoryMiB]).toEqual([
        f.task,
        TASK_SPECS[f.task].timeoutSeconds,
        TASK_SPECS[f.task].memoryMiB,
      ]);
    }
    expect(new Set(functions.map((f) => f.roleLogicalId)).size).toBe(functions.length);
  });

  test('the environment is resolved to the physical names of the buckets and tables', () => {
    const r = new TemplateResolver(synth.template, { stackName: synth.stackName });
    const bucketNames = new Set(r.logicalIdsOfType('AWS::S3::Bucket').map((id) => r.physicalName(id)));
    const tableNames = new Set(r.logicalIdsOfType('AWS::DynamoDB::Table').map((id) => r.physicalName(id)));
    for (const f of functions) {
      expect(bucketNames.has(f.environment.EVENTLAKE_STAGING_BUCKET ?? '')).toBe(true);
      expect(bucketNames.has(f.environment.EVENTLAKE_RAW_BUCKET ?? '')).toBe(true);
      expect(tableNames.has(f.environment.EVENTLAKE_CONTROL_TABLE ?? '')).toBe(true);
      expect(f.environment.EVENTLAKE_GLUE_DATABASE).toBe('eventlake_dev');
      expect(Object.values(f.environment).every((v) => typeof v === 'string' && !v.includes('{'))).toBe(true);
    }
  });

  test('functions that are no task function (CDK custom-resource handlers) are left out', () => {
    const all = Object.values(synth.template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(all.length).toBeGreaterThan(functions.length);
  });

  test('a task function renamed away from <prefix>-<task> fails the mapping instead of being skipped', () => {
    const planBatch = functions.find((f) => f.task === 'plan-batch');
    if (planBatch === undefined) throw new Error('no plan-batch');
    const template = editFunction(
      planBatch.logicalId,
      (props) => (props.FunctionName = 'eventlake-dev-planner'),
    );
    expect(() => lambdaFunctions(template)).toThrow(/task plan-batch: expected one Lambda function, found 0/);
  });

  test('two functions for one task fail the mapping', () => {
    const planBatch = functions.find((f) => f.task === 'plan-batch');
    const validate = functions.find((f) => f.task === 'validate-slice');
    if (planBatch === undefined || validate === undefined) throw new Error('missing task');
    const template = editFunction(validate.logicalId, (props) => (props.FunctionName = 'other-plan-batch'));
    expect(() => lambdaFunctions(template)).toThrow(/task plan-batch: expected one Lambda function, found 2/);
  });
});
