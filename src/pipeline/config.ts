/** Settings of one pipeline deployment. Defaults suit both the embedded runtime and AWS. */
export interface PipelineConfig {
  /** Lease and scheduled checkpoint name. */
  readonly pipelineName: string;
  readonly leaseTtlSeconds: number;
  /** Cross-batch dedup looks at curated rows within this many days of the batch's event dates. */
  readonly dedupHorizonDays: number;
  /** Partitions per MERGE statement (Athena caps writes at 100 partitions per statement). */
  readonly maxPartitionsPerMerge: number;
  /** Raw bytes (as stored) per slice: one Lambda / one Map iteration. */
  readonly sliceMaxBytes: number;
  /**
   * Scheduled runs list raw hour prefixes this far back from now; undefined lists all of `raw/`
   * (the embedded default: listing a folder is cheap). Late objects older than this need a backfill.
   */
  readonly lookbackHours: number | undefined;
}

export const DEFAULT_CONFIG: PipelineConfig = {
  pipelineName: 'microbatch',
  leaseTtlSeconds: 3600,
  dedupHorizonDays: 7,
  maxPartitionsPerMerge: 80,
  sliceMaxBytes: 8 * 1024 * 1024,
  lookbackHours: undefined,
};

/** Object-store layout shared by both runtimes (PRODUCT.md §5). */
export const Layout = {
  raw: 'raw/',
  curatedEvents: 'curated/events/',
  /** Local only: merged files wait here until the batch commits (Iceberg commits atomically instead). */
  curatedPending: (batchId: string) => `curated/_pending/${batchId}/`,
  batch: (batchId: string) => `staging/batches/${batchId}/`,
  manifest: (batchId: string) => `staging/batches/${batchId}/manifest.json`,
  /** Staged rows of a batch (Hive-style, so Athena reads them as the `staged` table's batch_id partition). */
  staged: (batchId: string) => `staging/staged/batch_id=${batchId}/`,
  /** Non-lesson events, final after validation. */
  stagedFinal: (batchId: string, slice: number) => `staging/staged/batch_id=${batchId}/final-${pad(slice)}.ndjson`,
  /** Lesson events waiting for enrichment. */
  stagedLessons: (batchId: string, slice: number) => `staging/batches/${batchId}/lessons/slice-${pad(slice)}.ndjson`,
  stagedEnriched: (batchId: string, slice: number) => `staging/staged/batch_id=${batchId}/enriched-${pad(slice)}.ndjson`,
  classified: (batchId: string) => `staging/batches/${batchId}/classified.parquet`,
  quarantine: (batchId: string) => `quarantine/batch_id=${batchId}/`,
  quarantineSlice: (batchId: string, slice: number) => `quarantine/batch_id=${batchId}/slice-${pad(slice)}.ndjson`,
  quarantineConflicts: (batchId: string) => `quarantine/batch_id=${batchId}/conflicts.ndjson`,
  runSummary: (batchId: string) => `runs/${batchId}.json`,
} as const;

function pad(n: number): string {
  return String(n).padStart(5, '0');
}
