/**
 * Every object key of the lake, in one place: where raw objects land, where a batch stages, quarantines,
 * publishes and commits (docs/contract.md#layout). The pipeline, the adapters (DuckDB reads these folders),
 * the runtimes and CDK (bucket prefixes, IAM scopes) all take their keys from here; the form a key must have
 * to be valid in every object store is src/ports/object-key.ts.
 */
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
  stagedFinal: (batchId: string, slice: number) => partKeys(`staging/staged/batch_id=${batchId}/final-${pad(slice)}-`, '.parquet'),
  /** Lesson events waiting for enrichment. */
  stagedLessons: (batchId: string, slice: number) => partKeys(`staging/batches/${batchId}/lessons/slice-${pad(slice)}-`, '.parquet'),
  stagedEnriched: (batchId: string, slice: number) => partKeys(`staging/staged/batch_id=${batchId}/enriched-${pad(slice)}-`, '.parquet'),
  /** A slice's user-state versions, spilled while its objects are read and applied once they all were. */
  stateVersions: (batchId: string, slice: number) => partKeys(`staging/batches/${batchId}/versions/slice-${pad(slice)}-`),
  classified: (batchId: string) => `staging/batches/${batchId}/classified.parquet`,
  /** One slice's validation counts (the state carries none: its size would grow with the batch). */
  sliceResult: (batchId: string, slice: number) => `staging/batches/${batchId}/results/validate-${pad(slice)}.json`,
  quarantineRoot: 'quarantine/',
  quarantine: (batchId: string) => `quarantine/batch_id=${batchId}/`,
  quarantineSlice: (batchId: string, slice: number) => partKeys(`quarantine/batch_id=${batchId}/slice-${pad(slice)}-`),
  quarantineConflicts: (batchId: string) => `quarantine/batch_id=${batchId}/conflicts.ndjson`,
  runSummary: (batchId: string) => `runs/${batchId}.json`,
  /**
   * A replay batch's outcome per quarantine record it re-validated (src/pipeline/replay-outcomes.ts): what the
   * `quarantine` view joins to show whether and when a record was replayed. Beside the quarantine, outside its
   * `quarantine/` prefix, so readers of the records never take it for one.
   */
  replays: 'replays/',
  replayOutcomes: (batchId: string) => `replays/batch_id=${batchId}/outcomes.ndjson`,
  /**
   * Written by CommitBatch once every file of the batch is in place, before the checkpoint moves: readers
   * (the `events` and `quarantine` views) show a batch's rows only when its marker exists, so a batch is
   * visible wholly or not at all. Same NDJSON shape as a run summary's head: `{"batch_id", ...}`.
   */
  committedPrefix: 'curated/committed/',
  /** Local only, optional: the days each area keeps (src/ports/retention.ts; S3 lifecycle rules on AWS). */
  retentionFile: 'retention.json',
  committedMarker: (batchId: string) => `curated/committed/${batchId}.json`,
  /**
   * `eventlake forget` (docs/operations.md#forgetting-a-user): the lake's salt (created once, never printed)
   * and one record per forgotten user, named by the salted hash of the user id, never by the id.
   */
  erasures: 'erasures/',
  erasureSalt: 'erasures/salt.json',
  erasureRecords: 'erasures/log/',
  erasureRecord: (userHash: string) => `erasures/log/${userHash}.json`,
} as const;

function pad(n: number): string {
  return String(n).padStart(5, '0');
}

/** The objects of one output stream of a slice: `key(0)`, `key(1)`, ... all starting with `prefix`. */
export interface PartKeys {
  readonly prefix: string;
  key(part: number): string;
}

/**
 * `<prefix>00000.ndjson`, `<prefix>00001.ndjson`, ... (or `.parquet` for staged rows): the parts of one stream
 * (no other key starts with `prefix`).
 */
export function partKeys(prefix: string, extension: '.ndjson' | '.parquet' = '.ndjson'): PartKeys {
  return { prefix, key: (part) => `${prefix}${pad(part)}${extension}` };
}

/** The stream prefix (`PartKeys.prefix`) of a part key, or undefined when `key` is not a part of a stream. */
export function partStreamOf(key: string): string | undefined {
  return /^(.*-)\d+\.(?:ndjson|parquet)$/.exec(key)?.[1];
}
