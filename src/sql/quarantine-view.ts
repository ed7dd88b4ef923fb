import { QUARANTINE_REPLAY_COLUMNS, REPLAY_OUTCOME_COLUMNS, type ColumnSpec } from '../contract/columns';

/** What the analysts' `quarantine` view reads, as relations of the engine it runs on. */
export interface QuarantineViewSources {
  /** Every quarantine record (`batch_id` and the record columns): a table, table function or subquery. */
  readonly records: string;
  /** Every replay outcome (REPLAY_OUTCOME_COLUMNS): a table, table function or subquery. */
  readonly outcomes: string;
  /** A parenthesized subquery of one column, the ids of the committed batches. */
  readonly committedBatchIds: string;
}

/** The record's identity in both: the batch that quarantined it, its raw key and line (src/pipeline/replay-outcomes.ts). */
const IDENTITY = [
  ['quarantine_batch_id', 'batch_id'],
  ['source_key', 'source_key'],
  ['line_no', 'line_no'],
] as const;

const quoted = (name: string): string => `"${name}"`;

/**
 * The analysts' `quarantine` view, one text for DuckDB (src/cli/lake-views.ts) and Athena
 * (cdk/constructs/catalog.ts): the records of committed batches, each with its latest outcome of a
 * committed replay (`replayed_at`, `replay_batch_id`, `replay_outcome`, null when never replayed;
 * docs/quarantine.md#replay). `columns` are the record columns in the view's order, `batch_id` among them.
 * Portable SQL only: `row_number()` in a subquery, not DuckDB's QUALIFY, which Athena's SELECT synopsis does
 * not have (https://docs.aws.amazon.com/athena/latest/ug/select.html); "Functions in Athena engine version 3
 * are based on Trino" (https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html), row_number among
 * Trino's window functions (https://trino.io/docs/current/functions/window.html).
 */
export function quarantineViewSql(columns: readonly ColumnSpec[], sources: QuarantineViewSources): string {
  const identity = IDENTITY.map(([outcome]) => quoted(outcome)).join(', ');
  const outcomeColumns = REPLAY_OUTCOME_COLUMNS.map((c) => quoted(c.name)).join(', ');
  const latest =
    `SELECT ${outcomeColumns}, row_number() OVER (PARTITION BY ${identity} ORDER BY "replayed_at" DESC, "replay_batch_id" DESC) AS "replay_rank" ` +
    `FROM ${sources.outcomes} AS outcomes WHERE "replay_batch_id" IN ${sources.committedBatchIds}`;
  return (
    `SELECT ${[...columns.map((c) => `q.${quoted(c.name)}`), ...QUARANTINE_REPLAY_COLUMNS.map((c) => `r.${quoted(c.name)}`)].join(', ')} ` +
    `FROM (SELECT * FROM ${sources.records} AS records WHERE "batch_id" IN ${sources.committedBatchIds}) AS q ` +
    `LEFT JOIN (SELECT * FROM (${latest}) AS ranked WHERE "replay_rank" = 1) AS r ` +
    `ON ${IDENTITY.map(([outcome, record]) => `r.${quoted(outcome)} = q.${quoted(record)}`).join(' AND ')}`
  );
}
