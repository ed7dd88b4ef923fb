import { TASK_NAMES, type TaskName } from '../../src/workflow/registry';
import {
  asArray,
  iamPolicyDocuments,
  logicalId,
  roleStatements,
  synthStage,
  type IamStatement,
  type SynthesizedStage,
} from './app-fixture';

let dev: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
});

/**
 * Actions with no resource-level permissions, the only ones allowed on `Resource: "*"`: CloudWatch Logs
 * vended-log delivery and X-Ray, which CDK adds to the state machine role for logging and tracing.
 */
const ALLOWED_ON_ANY_RESOURCE = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

function allStatements(): { owner: string; statement: IamStatement }[] {
  return iamPolicyDocuments(dev.template).flatMap((doc) =>
    doc.statements.map((statement) => ({ owner: doc.owner, statement })),
  );
}

function taskStatements(task: TaskName): IamStatement[] {
  return roleStatements(dev.template, logicalId(dev, dev.stack.orchestration.functions[task].role));
}

function actionsOf(statements: readonly IamStatement[]): string[] {
  return statements.flatMap((s) => asArray(s.Action));
}

/** Statements granting `action` whose resources mention `fragment` (a logical id or a key prefix). */
function grants(statements: readonly IamStatement[], action: string, fragment: string): IamStatement[] {
  return statements.filter(
    (s) => asArray(s.Action).includes(action) && JSON.stringify(s.Resource).includes(fragment),
  );
}

describe('IAM', () => {
  test('no statement allows a service-wide wildcard action', () => {
    const wild = allStatements().filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && asArray(statement.Action).some((a) => a === '*' || a.endsWith(':*')),
    );
    expect(wild).toEqual([]);
  });

  test('Resource "*" appears only with actions that have no resource-level permissions', () => {
    const star = allStatements().filter(({ statement }) => asArray(statement.Resource).includes('*'));
    expect(star.length).toBeGreaterThan(0);
    for (const { owner, statement } of star) {
      expect({
        owner,
        actions: asArray(statement.Action).filter((a) => !ALLOWED_ON_ANY_RESOURCE.has(a)),
      }).toEqual({ owner, actions: [] });
    }
  });

  test('no role has a managed policy', () => {
    const roles = Object.entries(
      dev.template.findResources('AWS::IAM::Role') as Record<
        string,
        { Properties: { ManagedPolicyArns?: unknown } }
      >,
    );
    // The only exception is CDK's own S3 auto-delete provider in dev (a CfnResource, not ours to shape).
    const withManaged = roles.filter(
      ([id, r]) =>
        r.Properties.ManagedPolicyArns !== undefined && !id.startsWith('CustomS3AutoDeleteObjects'),
    );
    expect(withManaged.map(([id]) => id)).toEqual([]);
  });

  test('every s3:ListBucket grant of the pipeline roles is limited to key prefixes', () => {
    // (Firehose's role keeps the unconditioned ListBucket of AWS's documented delivery policy.)
    const pipeline = allStatements().filter(({ owner }) => owner.startsWith('Orchestration'));
    expect(pipeline.length).toBeGreaterThan(0);
    for (const { statement } of pipeline.filter(({ statement }) =>
      asArray(statement.Action).includes('s3:ListBucket'),
    )) {
      expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': expect.any(Array) as unknown } });
    }
  });

  test('the lease tasks touch only the control table (and their logs, and the key)', () => {
    for (const task of ['acquire-lease', 'release-lease'] as const) {
      const services = new Set(actionsOf(taskStatements(task)).map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['dynamodb', 'kms', 'logs']);
      expect(JSON.stringify(taskStatements(task))).not.toContain(
        logicalId(dev, dev.stack.state.userStateTable),
      );
    }
  });

  test('only validate-slice reads raw objects', () => {
    const readers = TASK_NAMES.filter(
      (task) => grants(taskStatements(task), 's3:GetObject', '/raw/*').length > 0,
    );
    expect(readers).toEqual(['validate-slice']);
  });

  test('only validate-slice writes user state (read, fold, conditional put) and only enrich-slice reads it', () => {
    const table = logicalId(dev, dev.stack.state.userStateTable);
    const users = Object.fromEntries(
      TASK_NAMES.map((task) => [
        task,
        actionsOf(taskStatements(task).filter((s) => JSON.stringify(s.Resource).includes(table))),
      ]),
    );
    expect(Object.entries(users).filter(([, actions]) => actions.length > 0)).toEqual([
      ['validate-slice', ['dynamodb:GetItem', 'dynamodb:PutItem']],
      ['enrich-slice', ['dynamodb:BatchGetItem']],
      // Forgetting a user: a Scan of the keys, then BatchWriteItem deletes (src/adapters/aws/dynamodb-state-store.ts deleteUser).
      ['finish-forget', ['dynamodb:BatchWriteItem', 'dynamodb:Scan']],
    ]);
  });

  test('only dedup-batch, verify-batch, plan-compaction and begin-forget query Athena, only in the pipeline workgroup', () => {
    const queriers = TASK_NAMES.filter((task) =>
      actionsOf(taskStatements(task)).includes('athena:StartQueryExecution'),
    );
    expect(queriers).toEqual(['dedup-batch', 'verify-batch', 'plan-compaction', 'begin-forget']);
    for (const task of queriers) {
      const athena = taskStatements(task).filter((s) =>
        asArray(s.Action).some((a) => a.startsWith('athena:')),
      );
      expect(JSON.stringify(athena.map((s) => s.Resource))).toMatch(
        /^\[[^\]]*:workgroup\/eventlake-dev"\]\]\}\]$/,
      );
    }
  });

  test('no task commits an Athena table: the classification and the MERGE are native states', () => {
    for (const task of TASK_NAMES) {
      expect(grants(taskStatements(task), 'glue:UpdateTable', ':table/')).toEqual([]);
      expect(grants(taskStatements(task), 'glue:UpdateTable', ':table/eventlake_dev/events_all_batches')).toEqual([]);
      expect(grants(taskStatements(task), 's3:PutObject', '/curated/events/')).toEqual([]);
      // The committed markers readers filter on are the one thing a task writes under curated/ (the forget's
      // erasure records live beside it, under erasures/).
      if (task !== 'commit-batch') expect(grants(taskStatements(task), 's3:PutObject', '/curated/')).toEqual([]);
    }
  });

  test('only tasks that replace their own outputs delete objects, and only under those outputs', () => {
    // ValidateSlice/EnrichSlice remove stale parts of their slice's outputs (src/pipeline/part-writer.ts);
    // SummarizeSlices deletes the lesson parts EnrichSlices replaced;
    // DedupBatch removes an outdated conflicts file; PruneStaging deletes committed batches' staging;
    // FinishForget deletes a quarantine object all of whose lines were the forgotten user's.
    // Nothing deletes raw or curated objects.
    const allowed: Record<string, string[]> = {
      'validate-slice': ['Staging/staging/batches/*', 'Staging/staging/staged/*', 'Quarantine/quarantine/*'],
      'enrich-slice': ['Staging/staging/staged/*'],
      'summarize-slices': ['Staging/staging/batches/*'],
      'dedup-batch': ['Quarantine/quarantine/*'],
      'prune-staging': ['Staging/staging/batches/*', 'Staging/staging/staged/*'],
      'finish-forget': ['Quarantine/quarantine/*'],
    };
    const deleters = TASK_NAMES.filter((task) => actionsOf(taskStatements(task)).includes('s3:DeleteObject'));
    expect(deleters).toEqual(Object.keys(allowed));
    for (const task of deleters) {
      const resources = taskStatements(task)
        .filter((s) => asArray(s.Action).includes('s3:DeleteObject'))
        .flatMap((s) => asArray(s.Resource))
        .map((r) => {
          const match = /^\[\{"Fn::GetAtt":\["Lake(\w+?)Bucket\w+","Arn"\]\},"\/(.+)"\]$/.exec(JSON.stringify((r as { 'Fn::Join': unknown[] })['Fn::Join'][1]));
          return match ? `${match[1]}/${match[2]}` : JSON.stringify(r);
        });
      expect(resources.sort()).toEqual([...(allowed[task] ?? [])].sort());
    }
  });

  test('every task role may write only its own log group', () => {
    for (const task of TASK_NAMES) {
      const logs = taskStatements(task).filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        {
          Sid: 'Logs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: {
            'Fn::GetAtt': [logicalId(dev, dev.stack.orchestration.functions[task].logGroup), 'Arn'],
          },
        },
      ]);
    }
  });
});
