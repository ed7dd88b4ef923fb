/**
 * The state machine's execution timeout: `TimeoutSeconds` of state-machines/microbatch.asl.json must equal
 * it (tests/asl/aws-fidelity.test.ts). Step Functions stops an execution at this age
 * (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html, TimeoutSeconds).
 */
export const EXECUTION_TIMEOUT_SECONDS = 7200;

/**
 * The lease outlives the longest execution by this margin, so a second execution can never take it while
 * the first could still be running (its last state included).
 */
export const LEASE_MARGIN_SECONDS = 600;

/** Settings of one pipeline deployment. Defaults suit both the embedded runtime and AWS. */
export interface PipelineConfig {
  /** Lease and scheduled checkpoint name. */
  readonly pipelineName: string;
  /** Derived from EXECUTION_TIMEOUT_SECONDS: not a setting of its own. */
  readonly leaseTtlSeconds: number;
  /** Cross-batch dedup looks at curated rows within this many days of the batch's event dates. */
  readonly dedupHorizonDays: number;
  /** Partitions per MERGE statement (Athena caps writes at 100 partitions per statement). */
  readonly maxPartitionsPerMerge: number;
  /** Raw bytes (as stored) per slice: one Lambda / one Map iteration. */
  readonly sliceMaxBytes: number;
  /**
   * Bytes per part object of a slice's outputs (staged Parquet rows, NDJSON quarantine and state versions:
   * src/pipeline/part-writer.ts): a slice holds one part per output in memory, whatever its number of lines.
   * 8 MiB: at 32 MiB the two slice workers peaked ~100 MiB higher in the 1M bench (docs/performance.md).
   */
  readonly partMaxBytes: number;
  /**
   * A batch takes at most this many raw objects and this many raw bytes (as stored; an object larger than
   * the byte cap makes a batch alone). A backlog drains over successive batches, so no state payload,
   * Map or statement grows with it.
   */
  readonly maxBatchObjects: number;
  readonly maxBatchBytes: number;
  /**
   * Scheduled runs list raw hour prefixes this far back from now; undefined lists all of `raw/`
   * (the embedded default: listing a folder is cheap). Late objects older than this need a backfill.
   */
  readonly lookbackHours: number | undefined;
}

export const DEFAULT_CONFIG: PipelineConfig = {
  pipelineName: 'microbatch',
  leaseTtlSeconds: EXECUTION_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS,
  dedupHorizonDays: 7,
  maxPartitionsPerMerge: 80,
  sliceMaxBytes: 8 * 1024 * 1024,
  partMaxBytes: 8 * 1024 * 1024,
  maxBatchObjects: 500,
  maxBatchBytes: 2 * 1024 * 1024 * 1024,
  lookbackHours: undefined,
};
