import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AWS_ENV_DEFAULTS } from '../src/runtime/aws/env';
import { DEFAULT_RETENTION, type Retention } from '../src/ports/retention';

export const STAGES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

/** Everything that differs between deployments of the same stack; chosen with `cdk synth -c stage=<name>`. */
export interface StageSettings {
  readonly stage: StageName;
  /** Prefix of every physical name (`eventlake-<stage>`), so two stages share an account without clashing. */
  readonly prefix: string;
  /** Lease and checkpoint name, and the `Pipeline` dimension of the pipeline's metrics. */
  readonly pipelineName: string;
  /** Glue database: a plain identifier (no hyphens), as `athenaTable()` requires. */
  readonly glueDatabaseName: string;
  /** What CloudFormation does with stateful resources when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Empty buckets on delete so `cdk destroy` works (dev only: prod keeps its data). */
  readonly autoDeleteObjects: boolean;
  /** DynamoDB deletion protection. */
  readonly deletionProtection: boolean;
  /** Retention of every log group the stack creates. */
  readonly logRetention: RetentionDays;
  /** EventBridge Scheduler rate of the scheduled micro-batch. */
  readonly scheduleRateMinutes: number;
  /** Alarm when no execution succeeded (and, separately, no record arrived) for this long. */
  readonly staleAfterHours: number;
  /** Scheduled runs list raw hour prefixes this far back (late objects older than this need a backfill). */
  readonly lookbackHours: number;
  /** Raw bytes per slice (one Lambda invocation). */
  readonly sliceMaxBytes: number;
  /** A batch takes at most this many raw objects and bytes; a backlog drains over successive schedules. */
  readonly maxBatchObjects: number;
  readonly maxBatchBytes: number;
  /** Cross-batch dedup window in days of event_date around the batch. */
  readonly dedupHorizonDays: number;
  /** Athena refuses queries that would scan more than this. */
  readonly athenaBytesScannedCutoffPerQuery: number;
  /** Kinesis retention: how long producers' records survive a Firehose outage. */
  readonly streamRetentionHours: number;
  /**
   * Days each lake area keeps its objects (S3 lifecycle rules: cdk/constructs/lake-retention.ts); the defaults
   * of src/ports/retention.ts, overridden per deployment with `-c retention.<area>=<days>|keep`.
   */
  readonly retention: Retention;
}

const GIB = 1024 ** 3;

const COMMON = {
  scheduleRateMinutes: 15,
  // Objects land under their arrival hour, so only an outage makes one "late": three days of hour prefixes
  // recover from a long weekend without a backfill (the processed ledger skips what was already merged).
  lookbackHours: AWS_ENV_DEFAULTS.lookbackHours,
  sliceMaxBytes: AWS_ENV_DEFAULTS.sliceMaxBytes,
  maxBatchObjects: AWS_ENV_DEFAULTS.maxBatchObjects,
  maxBatchBytes: AWS_ENV_DEFAULTS.maxBatchBytes,
  dedupHorizonDays: AWS_ENV_DEFAULTS.dedupHorizonDays,
  athenaBytesScannedCutoffPerQuery: 100 * GIB,
  retention: DEFAULT_RETENTION,
} as const;

const SETTINGS: Readonly<Record<StageName, StageSettings>> = {
  dev: {
    ...COMMON,
    stage: 'dev',
    prefix: 'eventlake-dev',
    pipelineName: 'eventlake-dev-microbatch',
    glueDatabaseName: 'eventlake_dev',
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
    deletionProtection: false,
    logRetention: RetentionDays.TWO_WEEKS,
    staleAfterHours: 6,
    streamRetentionHours: 24,
  },
  prod: {
    ...COMMON,
    stage: 'prod',
    prefix: 'eventlake-prod',
    pipelineName: 'eventlake-prod-microbatch',
    glueDatabaseName: 'eventlake_prod',
    removalPolicy: RemovalPolicy.RETAIN,
    autoDeleteObjects: false,
    deletionProtection: true,
    logRetention: RetentionDays.THREE_MONTHS,
    staleAfterHours: 2,
    streamRetentionHours: 72,
  },
};

function isStage(value: string): value is StageName {
  return (STAGES as readonly string[]).includes(value);
}

/** The settings of `stage`; an unknown name fails early with the accepted ones. */
export function stageSettings(stage: string): StageSettings {
  if (!isStage(stage)) {
    throw new Error(`unknown stage "${stage}": use -c stage=${STAGES.join('|')}`);
  }
  return SETTINGS[stage];
}
