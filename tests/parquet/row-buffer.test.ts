import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ParquetRowBuffer } from '../../src/parquet/row-buffer';
import { asStruct, list, num, readFooter, readParquet } from '../../src/parquet/reader';
import { spliceColumns } from '../../src/parquet/splice';
import { PageType, type ParquetColumn, type ParquetValue } from '../../src/parquet/schema';
import { ThriftReader, ThriftWriter, type ThriftStruct } from '../../src/parquet/thrift-compact';

const COLUMNS: readonly ParquetColumn[] = [
  { name: 'text', type: 'utf8' },
  { name: 'ratio', type: 'double' },
  { name: 'big', type: 'int64' },
  { name: 'small', type: 'int32' },
  { name: 'day', type: 'date' },
  { name: 'code', type: 'utf8', dictionary: true },
];

const row = fc.tuple(
  fc.option(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string().map((s) => Buffer.from(s, 'utf8')))),
  fc.option(fc.double({ noNaN: true })),
  fc.option(fc.oneof(fc.maxSafeInteger(), fc.maxSafeNat().map((n) => (n === 0 ? 0 : -n)))),
  fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  fc.option(fc.integer({ min: -100_000, max: 100_000 })),
  // Few distinct values, the same text as a string and as bytes, and anything else.
  fc.option(
    fc.oneof(
      fc.constantFrom('lesson:started', 'a', '', 'ü'),
      fc.constantFrom('lesson:started', 'a', '', 'ü').map((t) => Buffer.from(t, 'utf8')),
      fc.string({ unit: 'grapheme' }),
      fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b)),
    ),
  ),
);

/** Chunk sizes of the values' storage: tiny ones put values across many chunks (each value in one). */
const chunkBytes = fc.constantFrom(1, 8, 24, 256 * 1024);

/** What the reader gives back for a pushed value (text as bytes). */
const asRead = (values: readonly ParquetValue[]) => values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v));

/** The ColumnMetaData of each column chunk of a file's first row group. */
function chunkInfos(file: Buffer): ThriftStruct[] {
  const group = asStruct(list(readFooter(file).get(4))[0]);
  return list(group.get(1)).map((chunk) => asStruct(asStruct(chunk).get(3)));
}

/** Per column chunk of a file's one row group: the page type found at its dictionary and data page offsets. */
function pageTypesAtOffsets(file: Buffer): { dictionary?: number; data: number }[] {
  return chunkInfos(file).map((info) => {
    const typeAt = (offset: number) => num(new ThriftReader(file, offset).struct().get(1));
    return { ...(info.has(11) ? { dictionary: typeAt(num(info.get(11))) } : {}), data: typeAt(num(info.get(9))) };
  });
}

/** Runs `use` with a folder and a DuckDB connection of its own, both gone after. */
async function withDuckDb(use: (dir: string, connection: DuckDBConnection) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parquet-'));
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    await use(dir, connection);
  } finally {
    connection.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rowsOf(file: Buffer): unknown[][] {
  const { rows, columns } = readParquet(file);
  return Array.from({ length: rows }, (_, r) => columns.map((c) => c.values[r]));
}

describe('ParquetRowBuffer and readParquet', () => {
  let dir: string;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parquet-'));
    connection = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => {
    connection.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('read back every row, over many small pages, with nulls anywhere, uncompressed and GZIP', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.constantFrom('uncompressed', 'gzip' as const), chunkBytes, (rows, codec, chunk) => {
        const buffer = new ParquetRowBuffer(COLUMNS, { pageMaxBytes: 16, codec, chunkBytes: chunk });
        for (const r of rows) buffer.push(r);
        expect(rowsOf(buffer.toBuffer())).toEqual(rows.map(asRead));
      }),
      { numRuns: 200 },
    );
  });

  it('rollback drops the rows since the mark, also across page and chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), fc.array(row, { maxLength: 40 }), fc.array(row, { maxLength: 10 }), chunkBytes, (kept, dropped, added, chunk) => {
        const buffer = new ParquetRowBuffer(COLUMNS, { pageMaxBytes: 8, chunkBytes: chunk });
        for (const r of kept) buffer.push(r);
        const mark = buffer.mark();
        for (const r of dropped) buffer.push(r);
        buffer.rollback(mark);
        expect(buffer.length).toBe(kept.length);
        expect(rowsOf(buffer.toBuffer())).toEqual(kept.map(asRead));
        // Rows pushed after a rollback land where the dropped ones were.
        for (const r of added) buffer.push(r);
        expect(rowsOf(buffer.toBuffer())).toEqual([...kept, ...added].map(asRead));
      }),
      { numRuns: 200 },
    );
  });

  it('writes files DuckDB reads with the declared types and the same values', async () => {
    const buffer = new ParquetRowBuffer(COLUMNS, { pageMaxBytes: 64, codec: 'gzip' });
    const rows: ParquetValue[][] = [];
    for (let i = 0; i < 500; i++) {
      const code = i % 13 === 0 ? null : i % 3 === 0 ? Buffer.from(`c${i % 4}`) : i > 400 ? `new-${i}` : `c${i % 4}`;
      rows.push([i % 5 === 0 ? null : `ü-${i} "q"\n`, i / 3, i % 7 === 0 ? null : i * 2 ** 33 - 9, 0 - i || 0, i % 11 === 0 ? null : '2024-04-07', code]);
    }
    rows.forEach((r) => buffer.push(r));
    const path = join(dir, 'typed.parquet');
    writeFileSync(path, buffer.toBuffer());
    const result = await connection.runAndReadAll(`SELECT text, ratio, big, small, CAST(day AS VARCHAR), code FROM read_parquet('${path}')`);
    expect(result.columnTypes().map(String)).toEqual(['VARCHAR', 'DOUBLE', 'BIGINT', 'INTEGER', 'VARCHAR', 'VARCHAR']);
    expect(result.getRows()).toEqual(
      rows.map(([t, d, b, s, day, code]) => [t, d, b === null ? null : BigInt(b as number), s, day, Buffer.isBuffer(code) ? code.toString('utf8') : code]),
    );
  });

  it('writes a file without rows that DuckDB reads as empty, with its columns', async () => {
    const path = join(dir, 'empty.parquet');
    writeFileSync(path, new ParquetRowBuffer(COLUMNS).toBuffer());
    const result = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
    expect(result.columnNames()).toEqual(COLUMNS.map((c) => c.name));
    expect(result.getRows()).toEqual([]);
    expect(readParquet(new ParquetRowBuffer(COLUMNS).toBuffer())).toMatchObject({ rows: 0 });
  });

  it('refuses values that do not fit their column, naming it', () => {
    const buffer = new ParquetRowBuffer(COLUMNS);
    expect(() => buffer.push(['x', 1, 1.5, 1, null, null])).toThrow(/int64 column takes safe integers, got 1.5/);
    expect(() => buffer.push(['x', 1, 1, 2 ** 31, null, null])).toThrow(/does not fit a 32-bit int32 column/);
    expect(() => buffer.push(['x', 1, 1, 1, '7 April', null])).toThrow(/not a YYYY-MM-DD date/);
    expect(() => buffer.push(['x', 1, 1, 1, null, 7])).toThrow(/a utf8 column takes text, got number/);
    expect(() => buffer.push(['x'])).toThrow(/a row has 6 values, got 1/);
    expect(() => new ParquetRowBuffer([{ name: 'n', type: 'int32', dictionary: true }])).toThrow(/column n: only utf8 columns can be dictionary-encoded/);
  });

  it('refuses what is not one of its files, naming the file', async () => {
    expect(() => readParquet(Buffer.from('{"not":"parquet"}'), 'staging/x.parquet')).toThrow(/staging\/x\.parquet: not a Parquet file/);
    // DuckDB compresses with snappy by default: not a codec this reader is for.
    const path = join(dir, 'duckdb.parquet');
    await connection.run(`COPY (SELECT 'a' AS s FROM range(100)) TO '${path}' (FORMAT parquet)`);
    expect(() => readParquet(readFileSync(path), 'duckdb.parquet')).toThrow(/duckdb\.parquet: .*not supported/);
  });
});

describe('dictionary pages', () => {
  it('reads what DuckDB writes with a dictionary, uncompressed: the same values', async () => {
    await withDuckDb(async (dir, connection) => {
      const path = join(dir, 'dictionary.parquet');
      await connection.run(
        `COPY (SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE 'v' || (i % 37)::VARCHAR END AS s FROM range(5000) t(i)) TO '${path}' (FORMAT parquet, COMPRESSION uncompressed)`,
      );
      const expected = Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? null : `v${i % 37}`));
      const { columns } = readParquet(readFileSync(path), 'dictionary.parquet', { text: 'string' });
      expect(columns[0]?.values).toEqual(expected);
    });
  });

  it('names its dictionary pages and indices PLAIN_DICTIONARY, as a version 1 file does (readers older than RLE_DICTIONARY read it)', () => {
    const buffer = new ParquetRowBuffer([{ name: 'k', type: 'utf8', dictionary: true }]);
    ['a', 'b', 'a'].forEach((k) => buffer.push([k]));
    const file = buffer.toBuffer();
    const meta = readFooter(file);
    const info = chunkInfos(file)[0] as ThriftStruct;
    const reader = new ThriftReader(file, num(info.get(11)));
    const dictionaryPage = reader.struct();
    reader.offset += num(dictionaryPage.get(3));
    const dataStart = reader.offset;
    const dataPage = reader.struct();
    expect({
      version: meta.get(1),
      chunkEncodings: info.get(2),
      dictionaryPage: [dictionaryPage.get(1), asStruct(dictionaryPage.get(7)).get(2)],
      dataPage: [dataPage.get(1), asStruct(dataPage.get(5)).get(2)],
      dataPageOffset: num(info.get(9)),
    }).toEqual({ version: 1, chunkEncodings: [2, 3], dictionaryPage: [2, 2], dataPage: [0, 2], dataPageOffset: dataStart });
  });

  it('stores each distinct value once: an object key on every row costs a few bytes, not the key', () => {
    const key = Buffer.from(`raw/2024/04/08/00/eventlake-raw-1-2024-04-08-00-00-00-${'f'.repeat(36)}.gz`);
    const plain = new ParquetRowBuffer([{ name: 'k', type: 'utf8' }]);
    const coded = new ParquetRowBuffer([{ name: 'k', type: 'utf8', dictionary: true }]);
    for (let i = 0; i < 10_000; i++) {
      plain.push([key]);
      coded.push([key]);
    }
    expect({ plain: plain.toBuffer().length > 10_000 * key.length, coded: coded.toBuffer().length < 500 }).toEqual({ plain: true, coded: true });
    expect(readParquet(coded.toBuffer()).columns[0]?.values.every((v) => Buffer.isBuffer(v) && v.equals(key))).toBe(true);
  });
});

describe('thrift compact', () => {
  it('reads back what it writes: field deltas past 15, negative and large integers, long lists', () => {
    const bytes = new ThriftWriter()
      .struct([
        [1, 'i32', -7],
        [2, 'i64', 2 ** 40],
        [3, 'binary', 'naïve'],
        [20, 'bool', true],
        [21, 'list<i32>', Array.from({ length: 20 }, (_, i) => i - 10)],
        [22, 'list<struct>', [[[1, 'bool', false]], []]],
      ])
      .toBuffer();
    const back = new ThriftReader(bytes).struct();
    expect(back.get(1)).toBe(-7);
    expect(back.get(2)).toBe(2 ** 40);
    expect((back.get(3) as Buffer).toString('utf8')).toBe('naïve');
    expect(back.get(20)).toBe(true);
    expect(back.get(21)).toEqual(Array.from({ length: 20 }, (_, i) => i - 10));
    expect(back.get(22)).toEqual([new Map([[1, false]]), new Map()]);
  });

  it('refuses fields out of id order', () => {
    expect(() => new ThriftWriter().struct([[2, 'i32', 1], [1, 'i32', 1]])).toThrow(/increasing id order/);
  });
});

describe('spliceColumns', () => {
  it('takes each column from the first file that has it, pages copied as they are', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 50 }), fc.array(fc.option(fc.string()), { maxLength: 50 }), fc.constantFrom('uncompressed', 'gzip' as const), (rows, replaced, codec) => {
        const n = Math.min(rows.length, replaced.length);
        const base = new ParquetRowBuffer(COLUMNS, { pageMaxBytes: 16, codec });
        rows.slice(0, n).forEach((r) => base.push(r));
        const patch = new ParquetRowBuffer([{ name: 'text', type: 'utf8' }]);
        replaced.slice(0, n).forEach((t) => patch.push([t]));
        const spliced = spliceColumns([{ file: patch.toBuffer(), name: 'patch' }, { file: base.toBuffer(), name: 'base' }], ['text', 'ratio', 'big', 'small', 'day', 'code']);
        expect(rowsOf(spliced)).toEqual(rows.slice(0, n).map((r, i) => asRead([replaced[i] ?? null, ...r.slice(1)])));
      }),
      { numRuns: 100 },
    );
  });

  it('copies dictionary columns, from either input, to a file DuckDB reads', async () => {
    const base = new ParquetRowBuffer(COLUMNS, { codec: 'gzip' });
    const patch = new ParquetRowBuffer([{ name: 'text', type: 'utf8', dictionary: true }]);
    for (let i = 0; i < 300; i++) {
      base.push([`t${i}`, i, i, i, '2024-04-07', i % 9 === 0 ? null : `code-${i % 3}`]);
      patch.push([i % 7 === 0 ? null : ['x', 'y'][i % 2] as string]);
    }
    const expected = Array.from({ length: 300 }, (_, i) => [i % 9 === 0 ? null : `code-${i % 3}`, i, i % 7 === 0 ? null : ['x', 'y'][i % 2]]);
    await withDuckDb(async (dir, connection) => {
      const path = join(dir, 'spliced.parquet');
      writeFileSync(path, spliceColumns([{ file: patch.toBuffer(), name: 'patch' }, { file: base.toBuffer(), name: 'base' }], ['code', 'small', 'text']));
      expect((await connection.runAndReadAll(`SELECT code, small, text FROM read_parquet('${path}')`)).getRows()).toEqual(expected);
      expect(rowsOf(readFileSync(path)).map(([code, small, text]) => [code === null ? null : (code as Buffer).toString('utf8'), small, text === null ? null : (text as Buffer).toString('utf8')])).toEqual(expected);
      // Readers start a dictionary chunk at its dictionary page; the footer must still name where its data pages start.
      expect(pageTypesAtOffsets(readFileSync(path))).toEqual([
        { dictionary: PageType.DICTIONARY_PAGE, data: PageType.DATA_PAGE },
        { data: PageType.DATA_PAGE },
        { dictionary: PageType.DICTIONARY_PAGE, data: PageType.DATA_PAGE },
      ]);
    });
  });

  it('refuses inputs of different row counts and a column no input has', () => {
    const one = new ParquetRowBuffer([{ name: 'a', type: 'int32' }]);
    one.push([1]);
    const two = new ParquetRowBuffer([{ name: 'b', type: 'int32' }]);
    two.push([1]);
    two.push([2]);
    expect(() => spliceColumns([{ file: one.toBuffer(), name: 'one' }, { file: two.toBuffer(), name: 'two' }], ['a', 'b'])).toThrow(/two: 2 rows where one has 1/);
    expect(() => spliceColumns([{ file: one.toBuffer(), name: 'one' }], ['a', 'c'])).toThrow(/no input has a column c/);
  });
});
