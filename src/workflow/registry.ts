/**
 * The one map from each Task state of state-machines/microbatch.asl.json to what runs it.
 * The local runtime binds `lambda` entries to the handlers of tasks/index.ts (each tasks/<task>/handler.ts),
 * a Lambda to its own (tasks/<task>/lambda.ts), and `athena`
 * entries to the DuckDB counterpart of the SQL (src/runtime/athena-twin.ts); CDK builds one
 * NodejsFunction per `lambda` entry and substitutes the same placeholders. tests/asl/definition.test.ts
 * proves keys and placeholders match both ways.
 */
export interface LambdaBinding {
  readonly kind: 'lambda';
  readonly task: TaskName;
  readonly placeholder: string;
}

/**
 * A native Athena state: its SQL (sql/athena/<sql>.sql) and the kinds of its `?` values, in order. The
 * ASL's `States.Format('${placeholder}', ...)` passes exactly that many values (tests/asl/definition.test.ts).
 */
export interface AthenaBinding {
  readonly kind: 'athena';
  readonly sql: string;
  readonly placeholder: string;
  readonly params: readonly ('string' | 'number')[];
}

export type TaskBinding = LambdaBinding | AthenaBinding;

export const TASK_NAMES = [
  'acquire-lease',
  'plan-batch',
  'validate-slice',
  'enrich-slice',
  'summarize-slices',
  'dedup-batch',
  'verify-batch',
  'commit-batch',
  'release-lease',
  // The compaction state machine's own tasks (src/workflow/compaction-registry.ts).
  'plan-compaction',
  'prune-staging',
  'finish-compaction',
  // The forget state machine's own tasks (src/workflow/forget-registry.ts).
  'begin-forget',
  'finish-forget',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export const STATE_BINDINGS: Readonly<Record<string, TaskBinding>> = {
  AcquireLease: { kind: 'lambda', task: 'acquire-lease', placeholder: 'AcquireLeaseFunctionArn' },
  PlanBatch: { kind: 'lambda', task: 'plan-batch', placeholder: 'PlanBatchFunctionArn' },
  ValidateSlice: { kind: 'lambda', task: 'validate-slice', placeholder: 'ValidateSliceFunctionArn' },
  EnrichSlice: { kind: 'lambda', task: 'enrich-slice', placeholder: 'EnrichSliceFunctionArn' },
  SummarizeSlices: { kind: 'lambda', task: 'summarize-slices', placeholder: 'SummarizeSlicesFunctionArn' },
  ClearClassified: { kind: 'athena', sql: 'clear_classified', placeholder: 'ClearClassifiedQuery', params: ['string'] },
  ClassifyBatch: {
    kind: 'athena',
    sql: 'classify_batch',
    placeholder: 'ClassifyBatchQuery',
    params: ['string', 'string', 'string', 'string', 'number', 'string', 'string'],
  },
  DedupBatch: { kind: 'lambda', task: 'dedup-batch', placeholder: 'DedupBatchFunctionArn' },
  MergeGroup: {
    kind: 'athena',
    sql: 'merge_group',
    placeholder: 'MergeGroupQuery',
    params: ['string', 'number', 'string', 'string', 'string', 'string'],
  },
  VerifyBatch: { kind: 'lambda', task: 'verify-batch', placeholder: 'VerifyBatchFunctionArn' },
  CommitBatch: { kind: 'lambda', task: 'commit-batch', placeholder: 'CommitBatchFunctionArn' },
  ReleaseLease: { kind: 'lambda', task: 'release-lease', placeholder: 'ReleaseLeaseFunctionArn' },
  ReleaseLeaseAfterFailure: { kind: 'lambda', task: 'release-lease', placeholder: 'ReleaseLeaseFunctionArn' },
};

/** Placeholders that are settings, not tasks: substituted by CDK with real names, locally with local names. */
export const SETTING_PLACEHOLDERS = ['GlueDatabase', 'AthenaWorkGroup'] as const;

export const ASL_FILE = 'state-machines/microbatch.asl.json';
