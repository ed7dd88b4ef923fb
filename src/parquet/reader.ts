import { gunzipSync } from 'node:zlib';
import { ThriftReader, type ThriftStruct, type ThriftValue } from './thrift-compact';
import { Codec, ConvertedType, Encoding, MAGIC, PageType, PhysicalType, type ParquetColumn, type ParquetType } from './schema';
import { decodeIndices } from './dictionary';
import { decodeHybrid } from './hybrid';

/** A column read back: utf8 values as Buffers of UTF-8 (or strings, see ReadOptions), numbers as numbers. */
export interface ColumnValues {
  readonly column: ParquetColumn;
  readonly values: (Buffer | string | number | null)[];
}

export interface ReadOptions {
  /** Decode only these columns (the others come back with no values). Default: all. */
  readonly columns?: readonly string[];
  /** utf8 values as Buffers (a view of the file, nothing decoded) or as strings. Default: 'bytes'. */
  readonly text?: 'bytes' | 'string';
}

export interface ParquetContents {
  readonly rows: number;
  readonly columns: ColumnValues[];
}

/**
 * Reads a Parquet file of the shape ParquetRowBuffer writes: flat OPTIONAL or REQUIRED columns of the
 * types in schema.ts, v1 data pages, PLAIN values or (text) a dictionary page and RLE_DICTIONARY /
 * PLAIN_DICTIONARY indices, RLE/bit-packed definition levels, uncompressed or GZIP. It reads eventlake's own
 * staged parts back (a rollback into a part already put, enrichment of staged lessons); anything else
 * (nested columns, other encodings or codecs) is refused by name.
 */
export function readParquet(file: Buffer, name = 'parquet file', options: ReadOptions = {}): ParquetContents {
  const fail = (why: string) => new Error(`${name}: ${why}`);
  if (file.length < 12 || !file.subarray(0, 4).equals(MAGIC) || !file.subarray(file.length - 4).equals(MAGIC)) {
    throw fail('not a Parquet file (no PAR1 magic at both ends)');
  }
  const meta = readFooter(file);
  const wanted = options.columns === undefined ? undefined : new Set(options.columns);
  const asText = options.text === 'string';
  const columns = columnsOf(meta, name);
  const out: ColumnValues[] = columns.map(({ column }) => ({ column, values: [] }));
  const rows = num(meta.get(3));
  for (const group of list(meta.get(4)).map(asStruct)) {
    list(group.get(1))
      .map(asStruct)
      .forEach((chunk, c) => {
        const info = asStruct(chunk.get(3));
        const codec = num(info.get(4));
        if (codec !== Codec.uncompressed && codec !== Codec.gzip) throw fail(`codec ${codec} is not supported`);
        const target = out[c] as ColumnValues;
        const { column, optional } = columns[c] as (typeof columns)[number];
        if (wanted !== undefined && !wanted.has(column.name)) return;
        let remaining = num(info.get(5));
        const reader = new ThriftReader(file, chunkStart(info));
        /** The column chunk's dictionary, once its dictionary page was read. */
        let dictionary: (Buffer | string)[] | undefined;
        while (remaining > 0) {
          const header = reader.struct();
          const type = num(header.get(1));
          if (type !== PageType.DATA_PAGE && type !== PageType.DICTIONARY_PAGE) throw fail(`page type ${type} is not supported`);
          const stored = file.subarray(reader.offset, reader.offset + num(header.get(3)));
          reader.offset += stored.length;
          const body = codec === Codec.gzip ? gunzipSync(stored) : stored;
          if (type === PageType.DICTIONARY_PAGE) {
            if (column.type !== 'utf8') throw fail(`column ${column.name}: a dictionary of ${column.type} values is not supported`);
            const page = asStruct(header.get(7));
            if (num(page.get(2)) !== Encoding.PLAIN && num(page.get(2)) !== Encoding.PLAIN_DICTIONARY) throw fail(`dictionary encoding ${num(page.get(2))} is not supported`);
            dictionary = [];
            decodePage(body, num(page.get(1)), false, 'utf8', dictionary, asText, fail);
            continue;
          }
          const page = asStruct(header.get(5));
          const encoding = num(page.get(2));
          const count = num(page.get(1));
          if (encoding === Encoding.PLAIN) decodePage(body, count, optional, column.type, target.values, asText, fail);
          else if (encoding === Encoding.RLE_DICTIONARY || encoding === Encoding.PLAIN_DICTIONARY) {
            if (dictionary === undefined) throw fail(`column ${column.name}: dictionary indices before a dictionary page`);
            decodeDictionaryPage(body, count, optional, dictionary, target.values, fail);
          } else throw fail(`encoding ${encoding} is not supported`);
          remaining -= count;
        }
      });
  }
  for (const { values, column } of out) {
    if (wanted !== undefined && !wanted.has(column.name)) continue;
    if (values.length !== rows) throw fail(`column ${column.name} has ${values.length} values for ${rows} rows`);
  }
  return { rows, columns: out };
}

/** The flat columns of a file's schema, and whether each is OPTIONAL. */
export function columnsOf(meta: ThriftStruct, name: string): { column: ParquetColumn; optional: boolean }[] {
  const fail = (why: string) => new Error(`${name}: ${why}`);
  const schema = list(meta.get(2)).map(asStruct);
  const root = schema[0];
  const leaves = schema.slice(1);
  if (root === undefined || num(root.get(5)) !== leaves.length) throw fail('only flat schemas are supported');
  return leaves.map((element) => ({ column: columnOf(element, fail), optional: num(element.get(3)) === 1 }));
}

/** The file's FileMetaData struct (footer). */
export function readFooter(file: Buffer): ThriftStruct {
  const footerLength = file.readUInt32LE(file.length - 8);
  return new ThriftReader(file, file.length - 8 - footerLength).struct();
}

function decodePage(
  body: Buffer,
  count: number,
  optional: boolean,
  type: ParquetType,
  into: ColumnValues['values'],
  asText: boolean,
  fail: (why: string) => Error,
): void {
  const levels = pageLevels(body, count, optional, fail);
  const present = levels.present;
  let offset = levels.offset;
  for (let i = 0; i < count; i++) {
    if (present !== undefined && present[i] === 0) {
      into.push(null);
      continue;
    }
    switch (type) {
      case 'utf8': {
        const length = body.readUInt32LE(offset);
        into.push(asText ? body.toString('utf8', offset + 4, offset + 4 + length) : body.subarray(offset + 4, offset + 4 + length));
        offset += 4 + length;
        break;
      }
      case 'double':
        into.push(body.readDoubleLE(offset));
        offset += 8;
        break;
      case 'int64':
        into.push(body.readInt32LE(offset + 4) * 2 ** 32 + body.readUInt32LE(offset));
        offset += 8;
        break;
      case 'int32':
      case 'date':
        into.push(body.readInt32LE(offset));
        offset += 4;
        break;
    }
  }
  if (offset !== body.length) throw fail(`a ${type} page has ${body.length - offset} bytes left over`);
}

/** A data page of dictionary indices: definition levels (when optional), then the present values' indices. */
function decodeDictionaryPage(
  body: Buffer,
  count: number,
  optional: boolean,
  dictionary: readonly (Buffer | string)[],
  into: ColumnValues['values'],
  fail: (why: string) => Error,
): void {
  const { present, offset } = pageLevels(body, count, optional, fail);
  let values = count;
  if (present !== undefined) for (let i = 0; i < count; i++) values -= present[i] === 0 ? 1 : 0;
  const indices = values === 0 ? new Int32Array(0) : decodeIndices(body.subarray(offset), values, fail);
  let next = 0;
  for (let i = 0; i < count; i++) {
    if (present !== undefined && present[i] === 0) {
      into.push(null);
      continue;
    }
    const value = dictionary[indices[next++] as number];
    if (value === undefined) throw fail(`a dictionary index past the ${dictionary.length} values`);
    into.push(value);
  }
}

/**
 * Where a data page's values start, and which rows have one: its definition levels (bit width 1, after their
 * 4-byte length) when the column is optional, else every row.
 */
function pageLevels(body: Buffer, count: number, optional: boolean, fail: (why: string) => Error): { present: Int32Array | undefined; offset: number } {
  if (!optional) return { present: undefined, offset: 0 };
  const length = body.readUInt32LE(0);
  return { present: decodeHybrid(body.subarray(4, 4 + length), 1, count, fail), offset: 4 + length };
}

function columnOf(element: ThriftStruct, fail: (why: string) => Error): ParquetColumn {
  const name = (element.get(4) as Buffer).toString('utf8');
  const physical = num(element.get(1));
  const converted = element.has(6) ? num(element.get(6)) : undefined;
  if (num(element.get(3)) === 2) throw fail(`column ${name} is repeated; only flat columns are supported`);
  const type: ParquetType | undefined =
    physical === PhysicalType.BYTE_ARRAY
      ? 'utf8'
      : physical === PhysicalType.DOUBLE
        ? 'double'
        : physical === PhysicalType.INT64
          ? 'int64'
          : physical === PhysicalType.INT32
            ? converted === ConvertedType.DATE
              ? 'date'
              : 'int32'
            : undefined;
  if (type === undefined) throw fail(`column ${name} has physical type ${physical}, which is not supported`);
  return { name, type };
}

/** Accessors of decoded metadata fields (a missing field is an error naming what was expected). */
/**
 * Where a column chunk's pages start, from its ColumnMetaData: at its dictionary page (field 11,
 * dictionary_page_offset) when it has one, which comes before its data pages (field 9, data_page_offset).
 */
export function chunkStart(info: ThriftStruct): number {
  return info.has(11) ? num(info.get(11)) : num(info.get(9));
}

export function num(value: ThriftValue | undefined): number {
  if (typeof value !== 'number') throw new Error('parquet metadata: a number field is missing');
  return value;
}

export function list(value: ThriftValue | undefined): ThriftValue[] {
  return Array.isArray(value) ? value : [];
}

export function asStruct(value: ThriftValue | undefined): ThriftStruct {
  if (!(value instanceof Map)) throw new Error('parquet metadata: a struct field is missing');
  return value;
}
