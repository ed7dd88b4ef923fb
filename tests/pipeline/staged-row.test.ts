import fc from 'fast-check';
import { DuckDBInstance } from '@duckdb/node-api';
import { validateLine } from '../../src/contract/validate-line';
import { readStagedRows, STAGED_PARTS, STAGED_PARQUET_COLUMNS, stagedValuesOf, type StagedRow } from '../../src/pipeline/staged-row';
import { stagedRow, stagedValues } from '../helpers/stages';
import { ParquetRowBuffer } from '../../src/parquet/row-buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ARRIVAL = Date.UTC(2024, 3, 8);

function rowFor(line: string): StagedRow {
  const result = validateLine(Buffer.from(line, 'utf8'), { arrivalMs: ARRIVAL });
  if (result.kind !== 'valid') throw new Error(`fixture line is not valid: ${JSON.stringify(result)}`);
  return stagedRow(result.event, 'raw/2024/04/07/10/key "with" quotes.gz', 7);
}

/** A staged row as readStagedRows gives it back, text decoded. */
function decoded(values: readonly unknown[]): unknown[] {
  return values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

const DAY = (date: string) => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000;

const expected = (row: StagedRow) => decoded(stagedValues({ ...row })).map((v, i) => (STAGED_PARQUET_COLUMNS[i]?.type === 'date' ? DAY(v as string) : v));

describe('staged rows as Parquet parts', () => {
  const base = rowFor(
    '{"event_uuid":"6F1C2B8E-0D4A-4C1B-9E2F-3A4B5C6D7E8F","event_name":"lesson:started","created_at":1712511721.022075,' +
      '"user_uuid":"0d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","language":"de \\"quoted\\" \\u00e9\\\\","note":"tab\\there"}',
  );

  it('read back exactly what was written, for arbitrary free text and nulls', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.string(), fc.string({ unit: 'grapheme' }), (language, country, source, text) => {
        const row: StagedRow = { ...base, language, country, source_key: source, payload: JSON.stringify({ text }) };
        const buffer = STAGED_PARTS.create();
        buffer.push(stagedValues(row));
        buffer.push(stagedValues(base));
        const back = readStagedRows(buffer.toBuffer(), 'part');
        expect(back.map(decoded)).toEqual([expected(row), expected(base)]);
      }),
    );
  });

  it('stagedValuesOf (the per-event path) equals the row object in column order', () => {
    for (const line of [
      '{"event_uuid":"0D4A6F1C-2B8E-4C1B-9E2F-3A4B5C6D7E8F","event_name":"app:opened","created_at":1712511721}',
      '{"event_uuid":"6f1c2b8e-0d4a-4c1b-9e2f-3a4b5c6d7e8f","event_name":"lesson:started","created_at":1712511721.5,"user_uuid":"0d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","language":"de"}',
    ]) {
      const result = validateLine(Buffer.from(line, 'utf8'), { arrivalMs: ARRIVAL });
      if (result.kind !== 'valid') throw new Error('fixture line is not valid');
      const text = (values: readonly unknown[]) => values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
      const expected = stagedValues(stagedRow(result.event, 'raw/k.gz', 3));
      expect(text(stagedValuesOf(result.event, 'raw/k.gz', 3))).toEqual(expected);
      expect(text(stagedValuesOf(result.event, Buffer.from('raw/k.gz'), 3))).toEqual(expected);
    }
  });

  it('reopen keeps the rows before the mark of a part already put', () => {
    const buffer = STAGED_PARTS.create();
    buffer.push(stagedValues(base));
    const mark = buffer.mark();
    buffer.push(stagedValues({ ...base, event_uuid: 'dropped' }));
    const reopened = STAGED_PARTS.reopen(buffer.toBuffer(), mark, 'part');
    expect(reopened.length).toBe(1);
    expect(readStagedRows(reopened.toBuffer(), 'part').map(decoded)).toEqual([expected(base)]);
  });

  it('are read by DuckDB with the staged column types and values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'staged-parquet-'));
    const buffer = STAGED_PARTS.create();
    buffer.push(stagedValues({ ...base, country: 'Côte d\'Ivoire "CI"', enrichment_status: 'enriched' }));
    const path = `${dir}/part.parquet`;
    writeFileSync(path, buffer.toBuffer());
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
      expect(reader.columnNames()).toEqual(STAGED_PARQUET_COLUMNS.map((c) => c.name));
      expect(reader.columnTypes().map(String)).toEqual(['VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'DOUBLE', 'VARCHAR', 'DATE', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'BIGINT']);
      const [row] = (await connection.runAndReadAll(`SELECT event_uuid, created_at, CAST(event_date AS VARCHAR), language, country, payload, source_key, line_no FROM read_parquet('${path}')`)).getRows();
      expect(row).toEqual([base.event_uuid, base.created_at, base.event_date, base.language, 'Côte d\'Ivoire "CI"', base.payload, base.source_key, 7n]);
    } finally {
      connection.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse a part of another shape, naming it', () => {
    const other = new ParquetRowBuffer([{ name: 'event_uuid', type: 'utf8' }]);
    other.push(['x']);
    expect(() => readStagedRows(other.toBuffer(), 'staging/x.parquet')).toThrow(/staging\/x\.parquet: not a staged part of this version/);
  });
});
