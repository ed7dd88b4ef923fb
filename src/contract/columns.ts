/**
 * The one column table of the lake's row shapes: staged rows (what validation and enrichment write),
 * classified rows (staged + dedup class and merge group) and curated rows (the `events` table), the
 * quarantine records and the committed markers. Everything else is derived from it or tested equal to it:
 * the StagedRow type (src/pipeline/staged-row.ts, a compile-time check), DuckDB's relations
 * (src/sql/duckdb-columns.ts: the staged reader, the empty relations, the CLI views), the Glue and Iceberg
 * schemas (cdk/constructs/catalog-schemas.ts) and the column lists of sql/*\/*.sql (tests/contract/columns.test.ts).
 * The contract for users: docs/contract.md#curated-row.
 */
export type ColumnType = 'string' | 'double' | 'bigint' | 'int' | 'boolean' | 'date' | 'timestamp' | 'array<string>' | 'map<string,bigint>';

export interface ColumnSpec {
  readonly name: string;
  /** Glue/Hive type name; each engine maps it (DuckDB, Iceberg, Trino). */
  readonly type: ColumnType;
  readonly comment: string;
}

/** What validation stages per valid event, in field order (serializeStagedRow writes this order). */
export const STAGED_COLUMNS = [
  { name: 'event_uuid', type: 'string', comment: 'normalised (lower-case) UUID: the dedup key' },
  { name: 'event_name', type: 'string', comment: 'e.g. payment:order:completed' },
  { name: 'event_type', type: 'string', comment: 'first part of event_name' },
  { name: 'event_subtype', type: 'string', comment: 'second part of event_name' },
  { name: 'created_at', type: 'double', comment: 'Unix seconds as sent' },
  {
    name: 'created_datetime',
    type: 'string',
    comment: 'ISO 8601 UTC text with microseconds; sql/athena/classify_batch.sql casts it to timestamp(6)',
  },
  { name: 'event_date', type: 'date', comment: 'UTC date of created_datetime' },
  { name: 'user_uuid', type: 'string', comment: 'from the payload, when present' },
  { name: 'language', type: 'string', comment: 'from the payload, when present' },
  { name: 'country', type: 'string', comment: 'lessons: from the account as of the lesson' },
  { name: 'subscription_type', type: 'string', comment: 'lessons: from the subscription as of the lesson' },
  { name: 'subscription_status', type: 'string', comment: 'lessons: from the subscription as of the lesson' },
  { name: 'enrichment_status', type: 'string', comment: 'enriched | no_account | no_subscription | not_applicable' },
  { name: 'payload', type: 'string', comment: 'the whole original event as JSON text' },
  { name: 'source_key', type: 'string', comment: 'raw object key' },
  { name: 'line_no', type: 'bigint', comment: '1-based line in the raw object' },
] as const satisfies readonly ColumnSpec[];

export type StagedColumnName = (typeof STAGED_COLUMNS)[number]['name'];

export const BATCH_ID_COLUMN: ColumnSpec = { name: 'batch_id', type: 'string', comment: 'run that loaded the row' };
const INGESTED_AT: ColumnSpec = { name: 'ingested_at', type: 'timestamp', comment: 'when the batch was planned (UTC)' };

/** Staged text becomes a timestamp from classification on. */
const typed = (c: ColumnSpec): ColumnSpec =>
  c.name === 'created_datetime' ? { ...c, type: 'timestamp', comment: 'created_at in UTC (microseconds)' } : c;

/** The curated table (docs/contract.md#curated-row), partitioned by event_type and event_date. */
export const EVENTS_COLUMNS: readonly ColumnSpec[] = [
  ...STAGED_COLUMNS.filter((c) => c.name !== 'line_no').map(typed),
  INGESTED_AT,
  BATCH_ID_COLUMN,
];

/** classify_batch.sql inserts `c.*, merge_group, batch_id, ingested_at` by position: keep this order. */
export const CLASSIFIED_COLUMNS: readonly ColumnSpec[] = [
  ...STAGED_COLUMNS.map(typed),
  { name: 'class', type: 'string', comment: 'insert | already_inserted | duplicate_* | conflict_*' },
  { name: 'merge_group', type: 'int', comment: 'MERGE statement group of the row partition' },
  BATCH_ID_COLUMN,
  INGESTED_AT,
];

/** QuarantineRecord (src/contract/types.ts) less batch_id, which is the partition column. */
export const QUARANTINE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'source_key', type: 'string', comment: 'raw object key' },
  { name: 'line_no', type: 'bigint', comment: '1-based line; null when the whole object is quarantined' },
  { name: 'reason', type: 'string', comment: 'closed enum (src/contract/reasons.ts)' },
  { name: 'errors', type: 'array<string>', comment: 'every problem found, with the fix' },
  { name: 'raw_line', type: 'string', comment: 'the raw line as UTF-8, truncated to 64 KiB' },
  { name: 'raw_base64', type: 'string', comment: 'raw bytes when not valid UTF-8, else null' },
  { name: 'raw_size_bytes', type: 'bigint', comment: 'real size before truncation' },
  { name: 'truncated', type: 'boolean', comment: 'whether raw_line was cut' },
  { name: 'quarantined_at', type: 'string', comment: 'ISO 8601 UTC' },
];

/**
 * What CommitBatch writes to `curated/committed/<batch_id>.json` (src/pipeline/commit-batch.ts): one JSON
 * line, the batch id, mode and commit time, then the batch's counts from its run summary (docs/contract.md
 * §10), so analysts can read duplicate and quarantine rates per batch on both runtimes without naming a batch
 * (sql/queries/duplicate_rate_per_day.sql, quarantine_by_reason_per_day.sql). `committed_at` is
 * `Date.toISOString()` (milliseconds), kept as text. Markers written before the counts existed read them as
 * NULL. On AWS the Hive JSON SerDe reads the marker: one JSON object per line ("The Hive and OpenX JSON SerDe
 * libraries expect each JSON document to be on a single line of text",
 * https://docs.aws.amazon.com/athena/latest/ug/json-serde.html), the per-reason object as a
 * `map<string,bigint>` ("MAP<primitive_type, data_type>", https://docs.aws.amazon.com/athena/latest/ug/data-types.html).
 */
export const COMMITTED_BATCHES_COLUMNS: readonly ColumnSpec[] = [
  { name: 'batch_id', type: 'string', comment: 'a batch whose commit finished: readers may see its rows' },
  { name: 'mode', type: 'string', comment: 'scheduled | backfill' },
  { name: 'committed_at', type: 'string', comment: 'ISO 8601 UTC, when CommitBatch wrote the marker' },
  { name: 'lines_read', type: 'bigint', comment: 'lines of the batch, blank ones included' },
  { name: 'inserted', type: 'bigint', comment: 'new rows in events' },
  { name: 'duplicates_in_batch', type: 'bigint', comment: 'exact copies of a line earlier in the batch' },
  { name: 'duplicates_existing', type: 'bigint', comment: 'exact copies of a row already in events' },
  { name: 'quarantined', type: 'bigint', comment: 'lines quarantined by this batch' },
  { name: 'quarantined_by_reason', type: 'map<string,bigint>', comment: 'quarantined lines per reason' },
  { name: 'already_quarantined', type: 'bigint', comment: 'bad lines an earlier batch had quarantined' },
  { name: 'blank_lines', type: 'bigint', comment: 'empty lines' },
];

/** The names of `columns`, in order. */
export function columnNames(columns: readonly ColumnSpec[]): string[] {
  return columns.map((c) => c.name);
}
