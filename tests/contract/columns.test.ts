import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASSIFIED_COLUMNS, columnNames, EVENTS_COLUMNS, QUARANTINE_COLUMNS, QUARANTINE_REPLAY_COLUMNS, STAGED_COLUMNS } from '../../src/contract/columns';
import { STAGED_PARQUET_COLUMNS } from '../../src/pipeline/staged-row';
import { queryLake } from '../../src/cli/commands/query';
import { makeTestLake, otherEvent, putRaw, T0 } from '../helpers/lake';
import { runOk } from '../helpers/run';

const SQL = join(__dirname, '..', '..', 'sql');
const sql = (path: string) => readFileSync(join(SQL, path), 'utf8').replace(/--[^\n]*/g, '');

/** The text between `start` and the first `end` after it. */
function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`no ${JSON.stringify(start)}`);
  const to = text.indexOf(end, from + start.length);
  if (to < 0) throw new Error(`no ${JSON.stringify(end)} after ${JSON.stringify(start)}`);
  return text.slice(from + start.length, to);
}

/** Column names of a select or insert list: the alias after AS, else the name without its table prefix. */
function names(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else current += ch;
  }
  items.push(current);
  return items.map((item) => {
    const alias = /\bAS\s+(\w+)\s*$/i.exec(item.trim());
    return alias ? (alias[1] as string) : item.trim().replace(/^\w+\./, '');
  });
}

const STAGED = columnNames(STAGED_COLUMNS);
const EVENTS = columnNames(EVENTS_COLUMNS);

describe('the column table (src/contract/columns.ts) is the one row shape', () => {
  it('the staged Parquet schema follows the table order', () => {
    // The values of a staged row follow it too: tests/pipeline/staged-row.test.ts (stagedValuesOf).
    expect(STAGED_PARQUET_COLUMNS.map((c) => c.name)).toEqual(STAGED);
  });

  it.each([
    ['athena/classify_batch.sql', 'WITH staged AS (\n', 'FROM'],
    ['duckdb/classify_batch.sql', 'WITH staged AS NOT MATERIALIZED (\n', 'FROM'],
  ])('%s reads the staged columns', (file, start, end) => {
    expect(names(between(sql(file), `${start}`, end).replace(/^\s*SELECT/, ''))).toEqual(STAGED);
  });

  it('the classification writes the classified columns: staged, class, merge_group, batch_id, ingested_at', () => {
    const athena = sql('athena/classify_batch.sql');
    const classified = names(between(athena, 'classified AS (\n  SELECT', 'FROM ranked').replace(/CASE[\s\S]*END AS class/, 'class'));
    expect(classified).toEqual([...STAGED, 'class']);
    const last = names(between(athena, 'SELECT c.*,', '\nFROM classified'));
    expect([...classified, ...last]).toEqual(columnNames(CLASSIFIED_COLUMNS));
  });

  it('the Athena MERGE selects, inserts and values the curated columns', () => {
    const merge = sql('athena/merge_group.sql');
    expect(names(between(merge, 'USING (\n  SELECT', 'FROM'))).toEqual(EVENTS);
    expect(names(between(merge, 'INSERT (', ')'))).toEqual(EVENTS);
    expect(names(between(merge, 'VALUES (', ');'))).toEqual(EVENTS);
  });

  it('the DuckDB merge writes the curated columns', () => {
    expect(names(between(sql('duckdb/merge_group.sql'), 'COPY (\n  SELECT', 'FROM'))).toEqual(EVENTS);
  });

  it('the local views have the curated and quarantine columns, empty or not', async () => {
    const lake = await makeTestLake();
    try {
      const describe = async (view: string) => (await queryLake(lake, `DESCRIBE ${view}`)).map((r) => r.column_name);
      expect(await describe('events')).toEqual(EVENTS);
      expect(await describe('quarantine')).toEqual(['batch_id', ...columnNames(QUARANTINE_COLUMNS), ...columnNames(QUARANTINE_REPLAY_COLUMNS)]);
      await putRaw(lake, 'raw/2024/04/07/10/eventlake-raw-1-2024-04-07-10-00-00-a.gz', [otherEvent(T0), 'not json']);
      await runOk(lake);
      expect(await describe('events')).toEqual(EVENTS);
      expect(await describe('quarantine')).toEqual(['batch_id', ...columnNames(QUARANTINE_COLUMNS), ...columnNames(QUARANTINE_REPLAY_COLUMNS)]);
    } finally {
      await lake.cleanup();
    }
  });
});
