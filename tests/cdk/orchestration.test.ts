import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TASK_SPECS } from '../../cdk/constructs/task-specs';
import { aslPlaceholders } from '../../src/workflow/asl';
import { AWS_ENV_VARIABLE_NAMES } from '../../src/workflow/environment';
import { ASL_FILE, STATE_BINDINGS, TASK_NAMES, type AthenaBinding, type TaskName } from '../../src/workflow/registry';
import { COMPACTION_ASL_FILE, COMPACTION_STATE_BINDINGS } from '../../src/workflow/compaction-registry';
import { FORGET_ASL_FILE, FORGET_STATE_BINDINGS } from '../../src/workflow/forget-registry';
import { ATHENA_QUERY_TIMEOUT_MS } from '../../src/runtime/aws/deps';
import { athenaStateQuery } from '../../src/workflow/athena-state-query';
import {
  asArray,
  logicalId,
  REPO_ROOT,
  roleStatements,
  synthStage,
  type SynthesizedStage,
} from './app-fixture';

let dev: SynthesizedStage;
let prod: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
  prod = synthStage('prod');
});

type Json = Record<string, unknown>;

function functionProps(stage: SynthesizedStage, task: TaskName): Json {
  const id = logicalId(stage, stage.stack.orchestration.functions[task].function);
  return (stage.template.toJSON().Resources as Record<string, { Properties: Json }>)[id]!.Properties;
}

function stateMachineProps(): Json {
  const [sm] = Object.values(dev.template.findResources('AWS::StepFunctions::StateMachine')) as {
    Properties: Json;
  }[];
  return sm!.Properties;
}

function substitutions(): Record<string, unknown> {
  return stateMachineProps().DefinitionSubstitutions as Record<string, unknown>;
}

/** What CloudFormation does with DefinitionSubstitutions: plain text replacement, then the text must parse. */
function substitutedAsl(): { States: Record<string, Json> } {
  const fake = (value: unknown): string =>
    typeof value === 'string'
      ? value
      : `arn:aws:lambda:eu-west-1:123456789012:function:${JSON.stringify(value).length}`;
  let text = readFileSync(join(REPO_ROOT, ASL_FILE), 'utf8');
  for (const [name, value] of Object.entries(substitutions()))
    text = text.split(`\${${name}}`).join(fake(value));
  return JSON.parse(text) as { States: Record<string, Json> };
}

/** Every Task state of the ASL (inline Map processors included), by name. */
function taskStates(states: Record<string, Json>, out: Record<string, Json> = {}): Record<string, Json> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') out[name] = state;
    const processor = state.ItemProcessor as { States?: Record<string, Json> } | undefined;
    if (processor?.States) taskStates(processor.States, out);
  }
  return out;
}

const ORIGINAL_ASL = JSON.parse(readFileSync(join(REPO_ROOT, ASL_FILE), 'utf8')) as {
  States: Record<string, Json>;
};
const COMPACTION_ASL = JSON.parse(readFileSync(join(REPO_ROOT, COMPACTION_ASL_FILE), 'utf8')) as {
  States: Record<string, Json>;
};
const FORGET_ASL = JSON.parse(readFileSync(join(REPO_ROOT, FORGET_ASL_FILE), 'utf8')) as {
  States: Record<string, Json>;
};

describe('Orchestration: task functions', () => {
  test('there is one function per registry task, each with its own entry file', () => {
    dev.template.resourceCountIs(
      'AWS::Lambda::Function',
      TASK_NAMES.length + 1 /* S3 auto-delete provider (dev) */,
    );
    for (const task of TASK_NAMES) {
      expect(functionProps(dev, task).FunctionName).toBe(`eventlake-dev-${task}`);
    }
  });

  test.each(TASK_NAMES)('%s runs on arm64', (task) => {
    expect(functionProps(dev, task).Architectures).toEqual(['arm64']);
  });

  test.each(TASK_NAMES)('%s runs on the newest Node.js runtime aws-cdk-lib knows', (task) => {
    const newest = Runtime.ALL.filter((r) => /^nodejs\d+\.x$/.test(r.name))
      .sort((a, b) => parseInt(a.name.slice(6), 10) - parseInt(b.name.slice(6), 10))
      .at(-1);
    expect(functionProps(dev, task).Runtime).toBe(newest?.name);
  });

  test.each(TASK_NAMES)('%s logs to its own log group, kept 2 weeks in dev and 3 months in prod', (task) => {
    for (const [stage, days] of [
      [dev, 14],
      [prod, 90],
    ] as const) {
      const logGroup = stage.stack.orchestration.functions[task].logGroup;
      expect(functionProps(stage, task).LoggingConfig).toEqual({
        LogGroup: { Ref: logicalId(stage, logGroup) },
      });
      stage.template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/lambda/${stage.stack.stackName}-${task}`,
        RetentionInDays: days,
      });
    }
  });

  test.each(TASK_NAMES)('%s has exactly the environment variables aws-env.ts reads', (task) => {
    const variables = (functionProps(dev, task).Environment as { Variables: Json }).Variables;
    expect(Object.keys(variables).sort()).toEqual([...AWS_ENV_VARIABLE_NAMES].sort());
  });

  test("the environment points at this stack's buckets, tables, workgroup and database", () => {
    const variables = (functionProps(dev, 'dedup-batch').Environment as { Variables: Json }).Variables;
    expect(variables).toMatchObject({
      EVENTLAKE_RAW_BUCKET: { Ref: logicalId(dev, dev.stack.lake.rawBucket) },
      EVENTLAKE_STAGING_BUCKET: { Ref: logicalId(dev, dev.stack.lake.stagingBucket) },
      EVENTLAKE_STATE_TABLE: { Ref: logicalId(dev, dev.stack.state.userStateTable) },
      EVENTLAKE_CONTROL_TABLE: { Ref: logicalId(dev, dev.stack.state.controlTable) },
      EVENTLAKE_ATHENA_WORKGROUP: 'eventlake-dev',
      EVENTLAKE_GLUE_DATABASE: 'eventlake_dev',
      EVENTLAKE_PIPELINE_NAME: 'eventlake-dev-microbatch',
    });
  });

  test.each(TASK_NAMES)('%s times out before the ASL state that calls it does', (task) => {
    const states = [
      ...Object.entries(taskStates(ORIGINAL_ASL.States)).map(([name, state]) => [STATE_BINDINGS[name], state] as const),
      ...Object.entries(taskStates(COMPACTION_ASL.States)).map(([name, state]) => [COMPACTION_STATE_BINDINGS[name], state] as const),
      ...Object.entries(taskStates(FORGET_ASL.States)).map(([name, state]) => [FORGET_STATE_BINDINGS[name], state] as const),
    ].filter(([binding]) => binding?.kind === 'lambda' && binding.task === task);
    expect(states.length).toBeGreaterThan(0);
    for (const [, state] of states) {
      expect(functionProps(dev, task).Timeout).toBeLessThan(state.TimeoutSeconds as number);
    }
    expect(functionProps(dev, task).MemorySize).toBe(TASK_SPECS[task].memoryMiB);
  });

  test.each(TASK_NAMES.filter((task) => TASK_SPECS[task].access.athena !== undefined))(
    '%s stops a slow Athena query itself, before its own timeout',
    (task) => {
      expect((functionProps(dev, task).Timeout as number) * 1000).toBeGreaterThan(ATHENA_QUERY_TIMEOUT_MS + 30_000);
    },
  );
});

describe('Orchestration: state machine', () => {
  test('the definition is the ASL file itself (DefinitionBody.fromFile, an S3 asset)', () => {
    expect(stateMachineProps()).toHaveProperty('DefinitionS3Location');
    expect(stateMachineProps()).not.toHaveProperty('DefinitionString');
  });

  test('the ASL placeholders and the substitutions match both ways', () => {
    expect(Object.keys(substitutions()).sort()).toEqual([...aslPlaceholders()].sort());
  });

  test('each lambda placeholder is the ARN of the function of its registry task', () => {
    for (const binding of Object.values(STATE_BINDINGS)) {
      if (binding.kind !== 'lambda') continue;
      expect(substitutions()[binding.placeholder]).toEqual({
        'Fn::GetAtt': [logicalId(dev, dev.stack.orchestration.functions[binding.task].function), 'Arn'],
      });
    }
  });

  test("after CloudFormation's text substitution the definition is valid JSON and MergeGroup runs the rendered Athena MERGE", () => {
    const merge = taskStates(substitutedAsl().States).MergeGroup as { Parameters: Json };
    const template = athenaStateQuery(STATE_BINDINGS.MergeGroup as AthenaBinding, 'eventlake_dev');
    expect(merge.Parameters['QueryString.$']).toBe(
      `States.Format('${template}', $.batch_id, $.group.group, $.group.type_min, $.group.type_max, $.group.date_min, $.group.date_max)`,
    );
    expect(merge.Parameters['QueryString.$']).toContain('MERGE INTO "eventlake_dev"."events_all_batches"');
    expect(merge.Parameters.WorkGroup).toBe('eventlake-dev');
    expect(merge.Parameters.QueryExecutionContext).toEqual({
      Database: 'eventlake_dev',
      Catalog: 'AwsDataCatalog',
    });
  });

  test('logging is level ALL without execution data, to an explicit log group', () => {
    expect(stateMachineProps().LoggingConfiguration).toEqual({
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: {
              'Fn::GetAtt': [logicalId(dev, dev.stack.orchestration.stateMachineLogGroup), 'Arn'],
            },
          },
        },
      ],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
  });

  test('X-Ray tracing is on', () => {
    expect(stateMachineProps().TracingConfiguration).toEqual({ Enabled: true });
  });

  test.each([
    ['micro-batch', () => dev.stack.orchestration.stateMachineRole, STATE_BINDINGS],
    ['compaction', () => dev.stack.compaction.stateMachineRole, COMPACTION_STATE_BINDINGS],
    ['forget', () => dev.stack.forget.stateMachineRole, FORGET_STATE_BINDINGS],
  ] as const)('the %s state machine role may invoke exactly the task functions its ASL names', (_name, role, bindings) => {
    const statements = roleStatements(dev.template, logicalId(dev, role()));
    const invoke = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('lambda:')));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]!.Action).toBe('lambda:InvokeFunction');
    const tasks = [...new Set(Object.values(bindings).flatMap((b) => (b.kind === 'lambda' ? [b.task] : [])))];
    const expected = tasks.map((task) => ({
      'Fn::GetAtt': [logicalId(dev, dev.stack.orchestration.functions[task].function), 'Arn'],
    }));
    expect(asArray(invoke[0]!.Resource as unknown[])).toEqual(expect.arrayContaining(expected));
    expect(asArray(invoke[0]!.Resource as unknown[])).toHaveLength(tasks.length);
  });

  test('the compaction role runs OPTIMIZE/VACUUM in the workgroup, commits only events and classified, and may delete only their files', () => {
    const statements = roleStatements(dev.template, logicalId(dev, dev.stack.compaction.stateMachineRole));
    const athena = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('athena:')));
    expect(athena).toHaveLength(1);
    expect(JSON.stringify(athena[0]!.Resource)).toContain(':workgroup/eventlake-dev');
    const update = statements.filter((s) => asArray(s.Action).includes('glue:UpdateTable'));
    expect(JSON.stringify(update.map((s) => s.Resource))).not.toContain(':table/eventlake_dev/staged');
    const deletes = JSON.stringify(statements.filter((s) => asArray(s.Action).includes('s3:DeleteObject')).map((s) => s.Resource));
    expect(deletes).toContain('/curated/events/*');
    expect(deletes).toContain('/iceberg/classified/*');
    expect(deletes).not.toContain('/staging/');
    expect(deletes).not.toContain('raw/');
  });

  test('the forget role runs its DELETEs in the workgroup, commits only events and classified, and may delete no file', () => {
    const statements = roleStatements(dev.template, logicalId(dev, dev.stack.forget.stateMachineRole));
    const update = statements.filter((s) => asArray(s.Action).includes('glue:UpdateTable'));
    expect(JSON.stringify(update.map((s) => s.Resource))).toMatch(/events_all_batches.*classified|classified.*events_all_batches/);
    expect(JSON.stringify(update.map((s) => s.Resource))).not.toContain(':table/eventlake_dev/staged');
    // Iceberg's DELETE adds delete files (merge-on-read); only the compaction's VACUUM removes files.
    expect(statements.filter((s) => asArray(s.Action).includes('s3:DeleteObject'))).toEqual([]);
    expect(dev.template.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'eventlake-dev-forget' } })).toEqual({});
  });

  test('the compaction runs daily by default, with the stage settings as its input', () => {
    const schedules = dev.template.findResources('AWS::Scheduler::Schedule');
    const compaction = Object.values(schedules).find((r) => (r as { Properties: { Name: string } }).Properties.Name === 'eventlake-dev-compaction') as { Properties: Record<string, unknown> };
    expect(compaction.Properties.ScheduleExpression).toBe('cron(30 3 * * ? *)');
    expect(JSON.parse((compaction.Properties.Target as { Input: string }).Input)).toEqual({ days: 2, prune_after_days: 3 });
  });

  test('the state machine role runs Athena queries only in the workgroup and commits only the classified and events tables', () => {
    const statements = roleStatements(dev.template, logicalId(dev, dev.stack.orchestration.stateMachineRole));
    const athena = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('athena:')));
    expect(athena).toHaveLength(1);
    expect(JSON.stringify(athena[0]!.Resource)).toContain(':workgroup/eventlake-dev');
    const update = statements.filter((s) => asArray(s.Action).includes('glue:UpdateTable'));
    expect(update).toHaveLength(1);
    const tables = JSON.stringify(update[0]!.Resource);
    expect(tables).toContain(':table/eventlake_dev/events_all_batches');
    expect(tables).toContain(':table/eventlake_dev/classified');
    expect(tables).not.toContain(':table/eventlake_dev/staged');
  });
});

describe('Orchestration: schedule', () => {
  test('the schedule runs every 15 minutes, UTC, without a flexible window', () => {
    dev.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
  });

  test('the schedule starts the state machine with {"mode":"scheduled"}', () => {
    dev.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        Arn: { Ref: logicalId(dev, dev.stack.orchestration.stateMachine) },
        Input: '{"mode":"scheduled"}',
      }),
    });
  });

  test('the schedule role may only start executions of this state machine', () => {
    const statements = roleStatements(dev.template, logicalId(dev, dev.stack.orchestration.scheduleRole));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: { Ref: logicalId(dev, dev.stack.orchestration.stateMachine) },
      },
    ]);
  });

  test('the schedule role trusts only EventBridge Scheduler of this account', () => {
    dev.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
  });
});

describe('Orchestration: cdk-nag', () => {
  test('cdk-nag AwsSolutions finds nothing unacknowledged in the orchestration', () => {
    expect(new AwsSolutionsChecks().validateScope(dev.stack.orchestration).violations).toEqual([]);
  });
});
