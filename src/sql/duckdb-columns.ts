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
};

export function duckdbType(column: ColumnSpec): string {
  return DUCKDB_TYPES[column.type];
}

/** The `columns = {...}` struct of DuckDB's read_json for these columns. */
export function readJsonColumns(columns: readonly ColumnSpec[]): string {
  return `{${columns.map((c) => `${c.name}: '${duckdbType(c)}'`).join(', ')}}`;
}

/** A relation with these columns, typed, and no rows (what a reader sees before any file exists). */
export function emptyRelation(columns: readonly ColumnSpec[]): string {
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${duckdbType(c)}) AS ${c.name}`).join(', ')} WHERE false`;
}
