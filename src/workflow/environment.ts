/**
 * The environment of every task Lambda: what the AWS runtime reads (src/runtime/aws/env.ts) and what CDK
 * sets (cdk/eventlake-stack.ts), by one list of names.
 *
 * The settings of the AWS runtime, read once per Lambda cold start from its environment.
 */
export interface AwsEnv {
  readonly rawBucket: string;
  readonly curatedBucket: string;
  readonly stagingBucket: string;
  readonly quarantineBucket: string;
  readonly stateTable: string;
  readonly controlTable: string;
  readonly athenaWorkGroup: string;
  readonly glueDatabase: string;
  readonly pipelineName: string;
  readonly lookbackHours: number;
  readonly sliceMaxBytes: number;
  readonly maxBatchObjects: number;
  readonly maxBatchBytes: number;
  readonly dedupHorizonDays: number;
}

/** Each setting's environment variable. CDK sets exactly these on every task function. */
export const AWS_ENV_VARIABLES = {
  rawBucket: 'EVENTLAKE_RAW_BUCKET',
  curatedBucket: 'EVENTLAKE_CURATED_BUCKET',
  stagingBucket: 'EVENTLAKE_STAGING_BUCKET',
  quarantineBucket: 'EVENTLAKE_QUARANTINE_BUCKET',
  stateTable: 'EVENTLAKE_STATE_TABLE',
  controlTable: 'EVENTLAKE_CONTROL_TABLE',
  athenaWorkGroup: 'EVENTLAKE_ATHENA_WORKGROUP',
  glueDatabase: 'EVENTLAKE_GLUE_DATABASE',
  pipelineName: 'EVENTLAKE_PIPELINE_NAME',
  lookbackHours: 'EVENTLAKE_LOOKBACK_HOURS',
  sliceMaxBytes: 'EVENTLAKE_SLICE_MAX_BYTES',
  maxBatchObjects: 'EVENTLAKE_MAX_BATCH_OBJECTS',
  maxBatchBytes: 'EVENTLAKE_MAX_BATCH_BYTES',
  dedupHorizonDays: 'EVENTLAKE_DEDUP_HORIZON_DAYS',
} as const satisfies Record<keyof AwsEnv, string>;

export type AwsEnvVariable = (typeof AWS_ENV_VARIABLES)[keyof typeof AWS_ENV_VARIABLES];

/** Every variable name, in declaration order (for CDK and for the test comparing both). */
export const AWS_ENV_VARIABLE_NAMES: readonly AwsEnvVariable[] = Object.values(AWS_ENV_VARIABLES);
