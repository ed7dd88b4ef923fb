/** A value bound to a statement's `?` placeholders, in order. Never spliced into SQL text. */
export type SqlValue = string | number | boolean | null;

export type SqlRow = Record<string, unknown>;

/** A rendered SQL template: its manifest name (for errors and logs) and its text with identifiers filled. */
export interface SqlStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * Athena on AWS, DuckDB locally. Contract (tests/ports/sql-engine.contract.ts):
 * statements run in order; `query` returns rows as plain objects keyed by column name, numbers as JS numbers
 * (integers beyond 2^53 as exact decimal strings), dates as `YYYY-MM-DD`, timestamps as ISO 8601 UTC with
 * 6 fractional digits and `Z`; a failing statement throws `SqlError` naming the statement. Text holding
 * several `;`-separated statements is allowed only without params (Athena runs one per query: its
 * adapter splits them).
 */
export interface SqlEngine {
  run(statement: SqlStatement, params?: readonly SqlValue[]): Promise<void>;
  query<T extends SqlRow = SqlRow>(statement: SqlStatement, params?: readonly SqlValue[]): Promise<T[]>;
  close(): Promise<void>;
}
