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
   * NDJSON bytes per part object of a slice's outputs (src/pipeline/part-writer.ts): a slice holds one part
   * per output in memory, whatever its number of lines. 32 MiB keeps a typical slice to one or two parts.
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
  partMaxBytes: 32 * 1024 * 1024,
  maxBatchObjects: 500,
  maxBatchBytes: 2 * 1024 * 1024 * 1024,
  lookbackHours: undefined,
};

/** Object-store layout shared by both runtimes (docs/contract.md#layout). */
export const Layout = {
  raw: 'raw/',
  curatedEvents: 'curated/events/',
  /** Local only: merged files wait here until the batch commits (Iceberg commits atomically instead). */
  curatedPending: (batchId: string) => `curated/_pending/${batchId}/`,
  batch: (batchId: string) => `staging/batches/${batchId}/`,
  manifest: (batchId: string) => `staging/batches/${batchId}/manifest.json`,
  /** Staged rows of a batch (Hive-style, so Athena reads them as the `staged` table's batch_id partition). */
  staged: (batchId: string) => `staging/staged/batch_id=${batchId}/`,
  /** Non-lesson events, final after validation (one slice's parts: src/pipeline/part-writer.ts). */
  stagedFinal: (batchId: string, slice: number) => partKeys(`staging/staged/batch_id=${batchId}/final-${pad(slice)}-`),
  /** Lesson events waiting for enrichment. */
  stagedLessons: (batchId: string, slice: number) => partKeys(`staging/batches/${batchId}/lessons/slice-${pad(slice)}-`),
  stagedEnriched: (batchId: string, slice: number) => partKeys(`staging/staged/batch_id=${batchId}/enriched-${pad(slice)}-`),
  /** A slice's user-state versions, spilled while its objects are read and applied once they all were. */
  stateVersions: (batchId: string, slice: number) => partKeys(`staging/batches/${batchId}/versions/slice-${pad(slice)}-`),
  classified: (batchId: string) => `staging/batches/${batchId}/classified.parquet`,
  /** One slice's validation counts (the state carries none: its size would grow with the batch). */
  sliceResult: (batchId: string, slice: number) => `staging/batches/${batchId}/results/validate-${pad(slice)}.json`,
  quarantine: (batchId: string) => `quarantine/batch_id=${batchId}/`,
  quarantineSlice: (batchId: string, slice: number) => partKeys(`quarantine/batch_id=${batchId}/slice-${pad(slice)}-`),
  quarantineConflicts: (batchId: string) => `quarantine/batch_id=${batchId}/conflicts.ndjson`,
  runSummary: (batchId: string) => `runs/${batchId}.json`,
  /**
   * Written by CommitBatch once every file of the batch is in place, before the checkpoint moves: readers
   * (the `events` and `quarantine` views) show a batch's rows only when its marker exists, so a batch is
   * visible wholly or not at all. Same NDJSON shape as a run summary's head: `{"batch_id", ...}`.
   */
  committedPrefix: 'curated/committed/',
  committedMarker: (batchId: string) => `curated/committed/${batchId}.json`,
} as const;

function pad(n: number): string {
  return String(n).padStart(5, '0');
}

/** The objects of one output stream of a slice: `key(0)`, `key(1)`, ... all starting with `prefix`. */
export interface PartKeys {
  readonly prefix: string;
  key(part: number): string;
}

/** `<prefix>00000.ndjson`, `<prefix>00001.ndjson`, ...: the parts of one stream (no other key starts with `prefix`). */
function partKeys(prefix: string): PartKeys {
  return { prefix, key: (part) => `${prefix}${pad(part)}.ndjson` };
}
