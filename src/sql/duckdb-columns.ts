import type { ColumnSpec, ColumnType } from '../contract/columns';

/** DuckDB's name for each column type of the column table (timestamps carry their zone: UTC). */
const DUCKDB_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'VARCHAR',
  double: 'DOUBLE',
  bigint: 'BIGINT',
  int: 'INTEGER',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  'array<string>': 'VARCHAR[]',
  'map<string,bigint>': 'MAP(VARCHAR, BIGINT)',
};

/**
 * DuckDB's type for a column. `timestamps: 'without zone'` gives Athena's TIMESTAMP (Iceberg's timestamp
 * without zone), for the AWS twin's tables; the local views keep UTC timestamps with their zone.
 */
export function duckdbType(column: Pick<ColumnSpec, 'type'>, timestamps: 'with zone' | 'without zone' = 'with zone'): string {
  return column.type === 'timestamp' && timestamps === 'without zone' ? 'TIMESTAMP' : DUCKDB_TYPES[column.type];
}

/** Whether a Glue type name read from a template is one of the column table's types. */
export function isColumnType(type: string): type is ColumnType {
  return Object.hasOwn(DUCKDB_TYPES, type);
}

/** The `columns = {...}` struct of DuckDB's read_json for these columns. */
export function readJsonColumns(columns: readonly ColumnSpec[]): string {
  return `{${columns.map((c) => `${c.name}: '${duckdbType(c)}'`).join(', ')}}`;
}

/** A relation with these columns, typed, and no rows (what a reader sees before any file exists). */
export function emptyRelation(columns: readonly ColumnSpec[]): string {
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${duckdbType(c)}) AS ${c.name}`).join(', ')} WHERE false`;
}
