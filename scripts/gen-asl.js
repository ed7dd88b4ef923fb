// Writes state-machines/microbatch.asl.json. The ASL file is the source of truth that is committed;
// this script only exists so Retry/Catch blocks stay identical across states. Run: node scripts/gen-asl.js
const fs = require('node:fs');
const path = require('node:path');

const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'EventLake.Transient',
];
const ATHENA_TRANSIENT = [
  'Athena.TooManyRequestsException',
  'Athena.InternalServerException',
  // A failed query (e.g. ICEBERG_COMMIT_ERROR on a concurrent commit) surfaces as States.TaskFailed;
  // the merge is insert-only and idempotent, so retrying it is safe.
  'States.TaskFailed',
  'EventLake.Transient',
];
const retry = (errors, interval = 2, attempts = 4) => [
  { ErrorEquals: errors, IntervalSeconds: interval, MaxAttempts: attempts, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
];
const catchTo = (next) => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: next }];

function lambdaTask(placeholder, { next, end, resultPath, parameters, timeout = 300, catchNext = 'ReleaseLeaseAfterFailure' }) {
  const state = {
    Type: 'Task',
    Resource: '${' + placeholder + '}',
    TimeoutSeconds: timeout,
    Parameters: parameters ?? { 'state.$': '$' },
    ResultPath: resultPath,
    Retry: retry(LAMBDA_TRANSIENT),
    Catch: catchTo(catchNext),
  };
  if (next) state.Next = next;
  if (end) state.End = true;
  return state;
}

/** Inside a Map iterator a Catch cannot leave the iterator: catch into a Fail that re-raises the same error name. */
function iterator(taskName, task) {
  return {
    ProcessorConfig: { Mode: 'INLINE' },
    StartAt: taskName,
    States: {
      [taskName]: task,
      [`${taskName}Failed`]: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
    },
  };
}

const definition = {
  Comment:
    'eventlake micro-batch: lease, plan, validate and apply user state, enrich lessons, dedup, merge in partition groups, verify conservation, commit, release. Payloads carry pointers and counts only.',
  StartAt: 'AcquireLease',
  TimeoutSeconds: 7200,
  States: {
    AcquireLease: lambdaTask('AcquireLeaseFunctionArn', {
      next: 'LeaseAcquired?',
      resultPath: '$.lease',
      parameters: { 'state.$': '$', 'execution.$': '$$.Execution.Name' },
      timeout: 60,
      catchNext: 'RunFailed',
    }),
    'LeaseAcquired?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.lease.acquired', BooleanEquals: true, Next: 'PlanBatch' }],
      Default: 'SkippedLeaseHeld',
    },
    SkippedLeaseHeld: { Type: 'Succeed', Comment: 'Another run holds the lease: this run writes nothing.' },
    PlanBatch: lambdaTask('PlanBatchFunctionArn', { next: 'HasObjects?', resultPath: '$.batch', timeout: 300 }),
    'HasObjects?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.batch.object_count', NumericGreaterThan: 0, Next: 'ValidateSlices' }],
      Default: 'ReleaseLease',
    },
    ValidateSlices: {
      Type: 'Map',
      Comment: 'Parse and validate raw lines, quarantine bad ones, apply account/subscription events as point-in-time history.',
      ItemsPath: '$.batch.slices',
      ItemSelector: { 'batch_id.$': '$.batch.batch_id', 'manifest_key.$': '$.batch.manifest_key', 'slice.$': '$$.Map.Item.Value' },
      MaxConcurrency: 4,
      ItemProcessor: iterator(
        'ValidateSlice',
        lambdaTask('ValidateSliceFunctionArn', { end: true, resultPath: '$.result', parameters: { 'input.$': '$' }, timeout: 900, catchNext: 'ValidateSliceFailed' }),
      ),
      ResultSelector: { 'slices.$': '$[*].result' },
      ResultPath: '$.validation',
      Next: 'EnrichSlices',
      Catch: catchTo('ReleaseLeaseAfterFailure'),
    },
    EnrichSlices: {
      Type: 'Map',
      Comment: 'Enrich lesson events from the state store as of their own created_at and stage them.',
      ItemsPath: '$.batch.slices',
      ItemSelector: { 'batch_id.$': '$.batch.batch_id', 'manifest_key.$': '$.batch.manifest_key', 'slice.$': '$$.Map.Item.Value' },
      MaxConcurrency: 4,
      ItemProcessor: iterator(
        'EnrichSlice',
        lambdaTask('EnrichSliceFunctionArn', { end: true, resultPath: '$.result', parameters: { 'input.$': '$' }, timeout: 900, catchNext: 'EnrichSliceFailed' }),
      ),
      ResultSelector: { 'slices.$': '$[*].result' },
      ResultPath: '$.enrichment',
      Next: 'DedupBatch',
      Catch: catchTo('ReleaseLeaseAfterFailure'),
    },
    DedupBatch: lambdaTask('DedupBatchFunctionArn', { next: 'MergeGroups', resultPath: '$.dedup', timeout: 900 }),
    MergeGroups: {
      Type: 'Map',
      Comment: 'One insert-only MERGE per group of at most 80 (event_type, event_date) partitions; one at a time to avoid commit conflicts.',
      ItemsPath: '$.dedup.groups',
      ItemSelector: { 'batch_id.$': '$.batch.batch_id', 'group.$': '$$.Map.Item.Value' },
      MaxConcurrency: 1,
      ItemProcessor: iterator('MergeGroup', {
        Type: 'Task',
        Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
        TimeoutSeconds: 1800,
        Parameters: {
          QueryString: '${MergeGroupQuery}',
          'ClientRequestToken.$': "States.Format('eventlake-merge-{}-{}', $.batch_id, $.group)",
          'ExecutionParameters.$': "States.Array(States.Format('\\'{}\\'', $.batch_id), States.Format('{}', $.group))",
          QueryExecutionContext: { Database: '${GlueDatabase}', Catalog: 'AwsDataCatalog' },
          WorkGroup: '${AthenaWorkGroup}',
        },
        ResultPath: null,
        Retry: retry(ATHENA_TRANSIENT, 5, 3),
        Catch: catchTo('MergeGroupFailed'),
        End: true,
      }),
      ResultPath: null,
      Next: 'VerifyBatch',
      Catch: catchTo('ReleaseLeaseAfterFailure'),
    },
    VerifyBatch: lambdaTask('VerifyBatchFunctionArn', { next: 'CommitBatch', resultPath: '$.verify', timeout: 300 }),
    CommitBatch: lambdaTask('CommitBatchFunctionArn', { next: 'ReleaseLease', resultPath: '$.commit', timeout: 300 }),
    ReleaseLease: lambdaTask('ReleaseLeaseFunctionArn', { end: true, resultPath: '$.release', timeout: 60, parameters: { 'state.$': '$' } }),
    ReleaseLeaseAfterFailure: lambdaTask('ReleaseLeaseFunctionArn', { next: 'RunFailed', resultPath: '$.release', timeout: 60, catchNext: 'RunFailed' }),
    RunFailed: {
      Type: 'Fail',
      Comment: 'Re-raise the error that stopped the run; the checkpoint was not advanced.',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    },
  },
};
// ReleaseLease output is the run summary.
definition.States.ReleaseLease.OutputPath = '$.release';

fs.writeFileSync(path.join(__dirname, '..', 'state-machines', 'microbatch.asl.json'), JSON.stringify(definition, null, 2) + '\n');
