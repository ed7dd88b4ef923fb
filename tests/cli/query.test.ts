import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { BIN, cli } from './helpers';
import { savedQueries } from '../../src/sql/saved-queries';

describe('eventlake query', () => {
  let dir: string;
  let lake: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-query-'));
    lake = join(dir, 'lake');
    expect((await cli('generate', '--events', '400', '--start', '2024-04-07T00:00:00Z', '--hours', '1', '--seed', '3', '--lake', lake)).code).toBe(0);
    expect((await cli('run', '--lake', lake)).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const q = (...args: string[]) => cli('query', '--lake', lake, ...args);

  it('table shows NULL as NULL, and counts the rows', async () => {
    const result = await q("SELECT 1 AS a, NULL AS b UNION ALL SELECT 2, 'x' ORDER BY a");

    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toEqual(['a | b', '--+-----', '1 | NULL', '2 | x', '(2 rows)']);
  });

  it.each([
    ['table', 'event_type | n\n-----------+--\n(0 rows)'],
    ['csv', 'event_type,n'],
    ['json', '[]'],
    ['ndjson', ''],
  ])('an empty result keeps its header (%s)', async (format, expected) => {
    const result = await q('SELECT event_type, count(*) AS n FROM events WHERE false GROUP BY 1', '--format', format);

    expect(result.code).toBe(0);
    expect(result.out).toBe(expected);
  });

  it('csv: NULL is an empty field, quotes as RFC 4180; json/ndjson write null', async () => {
    const sql = `SELECT 'a,"b"' AS s, NULL AS n`;

    expect((await q(sql, '--format', 'csv')).out).toBe('s,n\n"a,""b""",');
    expect(JSON.parse((await q(sql, '--format', 'json')).out)).toEqual([{ s: 'a,"b"', n: null }]);
    expect((await q(sql, '--format', 'ndjson')).out).toBe('{"s":"a,\\"b\\"","n":null}');
  });

  it('runs every statement of a script and prints each result', async () => {
    const result = await q('CREATE TEMP TABLE t AS SELECT 1 AS x; SELECT x FROM t; SELECT count(*) AS n FROM events', '--format', 'csv');

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^x\n1\n\nn\n\d+$/);
  });

  it('reads the SQL from --file, from stdin (-), and after -- when it starts with a -- comment', async () => {
    const file = join(dir, 'script.sql');
    await writeFile(file, '-- how many events\nSELECT count(*) > 0 AS some FROM events;\n');
    const fromFile = await q('--file', file, '--format', 'csv');
    const afterDashes = await q('--format', 'csv', '--', '-- a comment first\nSELECT 42 AS answer');
    const out: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: () => undefined, readStdin: () => Promise.resolve('SELECT 7 AS s') };
    const fromStdin = await main(['query', '-', '--lake', lake, '--format', 'csv'], io);

    expect([fromFile.code, fromFile.out]).toEqual([0, 'some\ntrue']);
    expect([afterDashes.code, afterDashes.out]).toEqual([0, 'answer\n42']);
    expect([fromStdin, out.join('\n')]).toEqual([0, 's\n7']);
  });

  it('--output writes the file; parquet is written by DuckDB COPY and reads back', async () => {
    const csv = join(dir, 'out.csv');
    const parquet = join(dir, 'out.parquet');
    const toCsv = await q('SELECT event_type FROM events ORDER BY event_uuid LIMIT 3', '--format', 'csv', '--output', csv);
    const toParquet = await q('SELECT * FROM events; -- all of it', '--format', 'parquet', '--output', parquet);
    const readBack = await q(`SELECT (SELECT count(*) FROM '${parquet}') = (SELECT count(*) FROM events) AS same`, '--format', 'csv');

    expect([toCsv.code, toCsv.out]).toEqual([0, '']);
    expect(toCsv.err).toBe(`wrote 3 rows (csv) to ${csv}`);
    expect((await readFile(csv, 'utf8')).split('\n')).toHaveLength(5);
    expect(toParquet.code).toBe(0);
    expect(toParquet.err).toMatch(/^wrote \d+ rows \(parquet\) to /);
    expect(readBack.out).toBe('same\ntrue');
  });

  it('--list names every saved query of sql/queries/ with what it answers; --saved runs one with the usual --format', async () => {
    const list = await cli('query', '--list');
    const saved = await q('--saved', 'duplicate_rate_per_day', '--format', 'json');
    const file = await q('--file', join(__dirname, '..', '..', 'sql', 'queries', 'duplicate_rate_per_day.sql'), '--format', 'json');

    expect(list.code).toBe(0);
    expect(list.out.split('\n').map((line) => line.split(/\s{2,}/))).toEqual(savedQueries().map((s) => [s.name, s.description]));
    expect(saved.code).toBe(0);
    expect(JSON.parse(saved.out)).toEqual([expect.objectContaining({ mode: 'scheduled', inserted: 400 })]);
    expect(saved.out).toBe(file.out);
  });

  it.each([
    [['--saved', 'duplicate_rates_per_day'], /unknown saved query 'duplicate_rates_per_day' \(Did you mean duplicate_rate_per_day\?\); eventlake query --list lists them/],
    [['--saved', 'freshness'], /\(Did you mean data_freshness\?\)/],
    [['--saved', 'nothing_like_it'], /unknown saved query 'nothing_like_it'; eventlake query --list/],
    [['--saved', 'data_freshness', 'SELECT 1'], /not two of them/],
    [['--list', 'SELECT 1'], /--list takes no SQL/],
    [['--format', 'parquet', 'SELECT 1'], /--format parquet needs --output PATH/],
    [['--format', 'parquet', '--output', '/tmp/x.parquet', 'CREATE TABLE t (a INT)'], /--format parquet writes the result of a query/],
    [['--file', '/nonexistent/q.sql'], /--file \/nonexistent\/q\.sql: cannot read it/],
    [['--file', '/nonexistent/q.sql', 'SELECT 1'], /give the SQL as an argument or with --file, not both/],
    [[], /query needs SQL/],
  ])('%j is a usage error', async (args, message) => {
    const result = await q(...args);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it('streams a large CSV export in bounded memory (a 64 MB heap, ~100 MB of CSV on stdout)', async () => {
    const outFile = join(dir, 'big.csv');
    const out = await open(outFile, 'w');
    try {
      const child = spawn(process.execPath, ['--max-old-space-size=64', BIN, 'query', '--lake', lake, '--format', 'csv', "SELECT i, repeat('x', 240) AS pad FROM range(400000) t(i)"], {
        stdio: ['ignore', out.fd, 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      await out.close();
    }
    expect((await stat(outFile)).size).toBeGreaterThan(400_000 * 240);
  });
});
