import { STAGED_COLUMNS, type ColumnType, type StagedColumnName } from '../contract/columns';
import type { ValidEvent } from '../contract/types';
import { readParquet } from '../parquet/reader';
import { ParquetRowBuffer, type RowMark } from '../parquet/row-buffer';
import type { ParquetColumn, ParquetType, ParquetValue } from '../parquet/schema';
import { spliceColumns } from '../parquet/splice';
import type { PartFormat } from './part-writer';

export type EnrichmentStatus = 'enriched' | 'no_account' | 'no_subscription' | 'not_applicable';

/** One staged row: the curated columns less batch_id/ingested_at (bound by SQL), plus line_no for arrival order. */
export interface StagedRow {
  event_uuid: string;
  event_name: string;
  event_type: string;
  event_subtype: string;
  created_at: number;
  created_datetime: string;
  event_date: string;
  user_uuid: string | null;
  language: string | null;
  country: string | null;
  subscription_type: string | null;
  subscription_status: string | null;
  enrichment_status: EnrichmentStatus;
  payload: string;
  source_key: string;
  line_no: number;
}

/** StagedRow has exactly the staged columns of src/contract/columns.ts. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stagedRowMatchesColumns: Same<keyof StagedRow, StagedColumnName> = true;
void stagedRowMatchesColumns;

/**
 * Text columns of few distinct values in a part, stored once each in a dictionary (src/parquet/dictionary.ts):
 * the object key is the same ~100 bytes for every line of an object, names and codes repeat across lines.
 * At 1M events this took 546 MB of staged bytes to 376 MB, at the same writer CPU per row
 * (docs/performance.md). Ids, times and the payload stay PLAIN: nearly every value is new.
 */
const DICTIONARY_COLUMNS: ReadonlySet<StagedColumnName> = new Set<StagedColumnName>([
  'event_name',
  'event_type',
  'event_subtype',
  'language',
  'country',
  'subscription_type',
  'subscription_status',
  'enrichment_status',
  'source_key',
]);

/** The Parquet type of each column type staged rows use. */
const PARQUET_TYPES: Partial<Record<ColumnType, ParquetType>> = { string: 'utf8', double: 'double', bigint: 'int64', int: 'int32', date: 'date' };

/**
 * The staged Parquet schema, derived from the column table: one schema for both runtimes (DuckDB reads the
 * parts here, Athena's `staged` Glue table on AWS: cdk/constructs/catalog.ts).
 */
export const STAGED_PARQUET_COLUMNS: readonly ParquetColumn[] = STAGED_COLUMNS.map((c) => {
  const type = PARQUET_TYPES[c.type];
  if (type === undefined) throw new Error(`staged column ${c.name} has type ${c.type}, which staging cannot write`);
  return DICTIONARY_COLUMNS.has(c.name) ? { name: c.name, type, dictionary: true } : { name: c.name, type };
});

const NAMES: readonly StagedColumnName[] = STAGED_COLUMNS.map((c) => c.name);

/** A staged row as Parquet values in column order (utf8 values read back are Buffers). */
export type StagedValues = ParquetValue[];

/** Position of each staged column in StagedValues. */
export const STAGED_INDEX = Object.fromEntries(NAMES.map((name, i) => [name, i])) as Readonly<Record<StagedColumnName, number>>;

/**
 * A valid event's staged row as Parquet values in column order (a StagedRow, enrichment columns empty): this
 * runs once per event, so it builds the array directly (tests/pipeline/staged-row.test.ts holds it equal to
 * the StagedRow in the column table's order). The payload goes in as the bytes the line was read as, and a
 * caller staging many lines of one object passes its key once encoded: neither is encoded per row.
 */
export function stagedValuesOf(event: ValidEvent, sourceKey: string | Buffer, lineNo: number): StagedValues {
  return [
    event.event_uuid,
    event.event_name,
    event.event_type,
    event.event_subtype,
    event.created_at,
    event.created_datetime,
    event.event_date,
    event.user_uuid,
    event.language,
    null,
    null,
    null,
    'not_applicable',
    event.payloadBytes,
    sourceKey,
    lineNo,
  ];
}

/**
 * Staged rows are written as Parquet parts (docs/decisions.md, "Columnar staging"): typed columns, the
 * payload stored as the line's UTF-8 once, never JSON-escaped; a part already put is read back to roll into.
 */
export const STAGED_PARTS: PartFormat<StagedValues, RowMark> = {
  create: () => new ParquetRowBuffer(STAGED_PARQUET_COLUMNS),
  reopen: (body, mark, key) => {
    const buffer = new ParquetRowBuffer(STAGED_PARQUET_COLUMNS);
    readStagedRows(body, key).slice(0, mark.rows).forEach((row) => buffer.push(row));
    return buffer;
  },
};

/** The rows of a staged part (our own output), text columns as Buffers of UTF-8. */
export function readStagedRows(body: Buffer, key: string): StagedValues[] {
  const { rows, columns } = readParquet(body, key);
  checkStaged(columns.map((c) => c.column), key);
  const out: StagedValues[] = [];
  for (let r = 0; r < rows; r++) out.push(columns.map((c) => c.values[r] as ParquetValue));
  return out;
}

function checkStaged(columns: readonly ParquetColumn[], key: string): void {
  const found = columns.map((c) => `${c.name}:${c.type}`).join(', ');
  const wanted = STAGED_PARQUET_COLUMNS.map((c) => `${c.name}:${c.type}`).join(', ');
  if (found !== wanted) throw new Error(`${key}: not a staged part of this version (columns ${found}; expected ${wanted})`);
}

/** The fields enrichment sets. */
export interface Enrichment {
  country: string | null;
  subscription_type: string | null;
  subscription_status: string | null;
  enrichment_status: EnrichmentStatus;
}

const ENRICHMENT_NAMES = ['country', 'subscription_type', 'subscription_status', 'enrichment_status'] as const satisfies readonly StagedColumnName[];
const ENRICHMENT_COLUMNS = STAGED_PARQUET_COLUMNS.filter((c) => (ENRICHMENT_NAMES as readonly string[]).includes(c.name));

/** What enrichment reads of a staged lesson. */
export interface StagedHead {
  readonly created_at: number;
  readonly user_uuid: string | null;
  readonly language: string | null;
}

/** The heads of a staged part's rows (only those three columns are decoded). */
export function readStagedHeads(body: Buffer, key: string): StagedHead[] {
  const { rows, columns } = readParquet(body, key, { columns: ['created_at', 'user_uuid', 'language'], text: 'string' });
  checkStaged(columns.map((c) => c.column), key);
  const [createdAt, user, language] = ['created_at', 'user_uuid', 'language'].map((name) => columns[STAGED_INDEX[name as StagedColumnName]]?.values ?? []);
  return Array.from({ length: rows }, (_, r) => ({
    created_at: createdAt?.[r] as number,
    user_uuid: (user?.[r] ?? null) as string | null,
    language: (language?.[r] ?? null) as string | null,
  }));
}

/**
 * The staged part with its enrichment columns replaced by `enrichments` (one per row, in row order): the
 * other columns' pages are copied byte for byte (src/parquet/splice.ts), so the payload is neither decoded
 * nor re-encoded.
 */
export function withEnrichment(body: Buffer, key: string, enrichments: readonly Enrichment[]): Buffer {
  const replaced = new ParquetRowBuffer(ENRICHMENT_COLUMNS);
  for (const e of enrichments) replaced.push([e.country, e.subscription_type, e.subscription_status, e.enrichment_status]);
  return spliceColumns([{ file: replaced.toBuffer(), name: `enrichment of ${key}` }, { file: body, name: key }], NAMES);
}

/** Lesson events are the ones enriched from user state (docs/contract.md#enrichment). */
export function needsEnrichment(event: ValidEvent): boolean {
  return event.event_type === 'lesson';
}
