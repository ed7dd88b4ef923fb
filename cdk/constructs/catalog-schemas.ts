/**
 * Glue/Iceberg/Trino type names for the column table of src/contract/columns.ts (the one place the lake's
 * row shapes are written down), re-exported for the catalog constructs.
 */
import {
  BATCH_ID_COLUMN,
  CLASSIFIED_COLUMNS,
  COMMITTED_BATCHES_COLUMNS,
  EVENTS_COLUMNS,
  QUARANTINE_COLUMNS,
  STAGED_COLUMNS,
  type ColumnSpec,
} from '../../src/contract/columns';

export { CLASSIFIED_COLUMNS, COMMITTED_BATCHES_COLUMNS, EVENTS_COLUMNS, QUARANTINE_COLUMNS, STAGED_COLUMNS, type ColumnSpec };

const ICEBERG_TYPES: Readonly<Record<ColumnSpec['type'], string>> = {
  string: 'string',
  double: 'double',
  bigint: 'long',
  int: 'int',
  boolean: 'boolean',
  date: 'date',
  // Iceberg `timestamp` (without zone, microseconds) is what Athena writes for TIMESTAMP columns.
  timestamp: 'timestamp',
  'array<string>': 'list<string>',
  'map<string,bigint>': 'map<string,long>',
};

export function icebergType(column: ColumnSpec): string {
  return ICEBERG_TYPES[column.type];
}

/** The batch_id partition column of the NDJSON tables, as a column of the views over them. */
export const PARTITION_BATCH_ID: ColumnSpec = { ...BATCH_ID_COLUMN, comment: 'run that wrote the rows' };

/**
 * Trino (Athena engine v3) type names, as a Presto view's column list spells them: "For DML queries like
 * SELECT, CTAS, and INSERT INTO, Athena uses Trino data type names"
 * (https://docs.aws.amazon.com/athena/latest/ug/data-types.html). Iceberg timestamps keep microseconds in
 * engine v3 ("Timestamp related data precision ... In Athena engine version 3, microsecond precision is
 * supported", https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg.html); Hive tables' are millisecond.
 */
const TRINO_TYPES: Readonly<Record<ColumnSpec['type'], string>> = {
  string: 'varchar',
  double: 'double',
  bigint: 'bigint',
  int: 'integer',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp(3)',
  'array<string>': 'array(varchar)',
  'map<string,bigint>': 'map(varchar, bigint)',
};

export function trinoType(column: ColumnSpec, iceberg: boolean): string {
  return column.type === 'timestamp' && iceberg ? 'timestamp(6)' : TRINO_TYPES[column.type];
}
