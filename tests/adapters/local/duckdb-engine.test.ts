import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDbEngine } from '../../../src/adapters/local/duckdb-engine';
import { ErrorNames } from '../../../src/errors';
import type { SqlStatement } from '../../../src/ports/sql-engine';
import { sqlEngineContract } from '../../ports/sql-engine.contract';

sqlEngineContract('DuckDbEngine', async () => {
  const engine = await DuckDbEngine.create({ threads: 2, memoryLimit: '512MB' });
  return { engine, cleanup: () => engine.close() };
});

function sql(name: string, text: string): SqlStatement {
  return { name, text };
}

describe('DuckDbEngine', () => {
  let engine: DuckDbEngine;

  beforeEach(async () => {
    engine = await DuckDbEngine.create({ threads: 1 });
  });

  afterEach(async () => {
    await engine.close();
  });

  describe('create', () => {
    it('sets the session time zone to UTC', async () => {
      expect(await engine.query(sql('tz', "SELECT current_setting('TimeZone') AS tz"))).toEqual([
        { tz: 'UTC' },
      ]);
    });

    it('computes date parts in UTC', async () => {
      const rows = await engine.query(
        sql('date', 'SELECT CAST(to_timestamp(?) AS DATE) AS d'),
        [1712534399.5],
      );

      expect(rows).toEqual([{ d: '2024-04-07' }]);
    });

    it('applies threads and memoryLimit', async () => {
      const tuned = await DuckDbEngine.create({ threads: 3, memoryLimit: '300MB' });
      try {
        const [row] = await tuned.query(
          sql(
            'settings',
            "SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS mem",
          ),
        );

        expect(row).toMatchObject({ threads: 3 });
        expect(String(row?.mem)).toMatch(/^28\d(\.\d+)? MiB$/);
      } finally {
        await tuned.close();
      }
    });

    it('rejects a thread count that is not a positive integer with ConfigError', async () => {
      await expect(DuckDbEngine.create({ threads: 0 })).rejects.toMatchObject({ name: ErrorNames.Config });
      await expect(DuckDbEngine.create({ threads: 1.5 })).rejects.toMatchObject({ name: ErrorNames.Config });
    });

    it('rejects an invalid memory limit with ConfigError', async () => {
      await expect(DuckDbEngine.create({ memoryLimit: 'lots' })).rejects.toMatchObject({
        name: ErrorNames.Config,
      });
    });

    it('keeps tables in a database file between engines', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventlake-duckdb-'));
      try {
        const file = path.join(dir, 'lake.duckdb');
        const first = await DuckDbEngine.create({ path: file });
        await first.run(sql('create', "CREATE TABLE kept AS SELECT 'yes' AS v"));
        await first.close();

        const second = await DuckDbEngine.create({ path: file });
        try {
          expect(await second.query(sql('read', 'SELECT v FROM kept'))).toEqual([{ v: 'yes' }]);
        } finally {
          await second.close();
        }
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('values', () => {
    it('gives integers beyond 2^53 as exact decimal strings', async () => {
      expect(
        await engine.query(
          sql(
            'big',
            'SELECT CAST(9007199254740993 AS BIGINT) AS b, CAST(-170141183460469231731687303715884105727 AS HUGEINT) AS h',
          ),
        ),
      ).toEqual([{ b: '9007199254740993', h: '-170141183460469231731687303715884105727' }]);
    });

    it('gives infinite timestamps as infinity and -infinity', async () => {
      expect(
        await engine.query(
          sql('inf', "SELECT CAST('infinity' AS TIMESTAMP) AS hi, CAST('-infinity' AS TIMESTAMP) AS lo"),
        ),
      ).toEqual([{ hi: 'infinity', lo: '-infinity' }]);
    });

    it('keeps nanoseconds of TIMESTAMP_NS and microseconds for TIMESTAMP_S and TIMESTAMP_MS', async () => {
      expect(
        await engine.query(
          sql(
            'precision',
            "SELECT CAST('2024-04-07 17:42:01.123456789' AS TIMESTAMP_NS) AS ns, CAST('2024-04-07 17:42:01.123' AS TIMESTAMP_MS) AS ms, CAST('2024-04-07 17:42:01' AS TIMESTAMP_S) AS s",
          ),
        ),
      ).toEqual([
        {
          ns: '2024-04-07T17:42:01.123456789Z',
          ms: '2024-04-07T17:42:01.123000Z',
          s: '2024-04-07T17:42:01.000000Z',
        },
      ]);
    });

    it('converts created_at seconds with a fraction to the ISO time with microseconds', async () => {
      expect(
        await engine.query(
          sql('to_ts', 'SELECT make_timestamp(CAST(? * 1000000 AS BIGINT)) AS t'),
          [1712511721.022075],
        ),
      ).toEqual([{ t: '2024-04-07T17:42:01.022075Z' }]);
    });

    it('gives TIME, INTERVAL and UUID as text', async () => {
      expect(
        await engine.query(
          sql(
            'text',
            "SELECT TIME '12:00:01.5' AS t, INTERVAL 3 DAY AS i, CAST('9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01' AS UUID) AS u",
          ),
        ),
      ).toEqual([{ t: '12:00:01.5', i: '3 days', u: '9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01' }]);
    });

    it('gives a MAP as key/value pairs', async () => {
      expect(await engine.query(sql('map', "SELECT MAP {'k': 1} AS m"))).toEqual([
        { m: [{ key: 'k', value: 1 }] },
      ]);
    });

    it('returns only JSON-safe values (no bigint)', async () => {
      const rows = await engine.query(
        sql('json', 'SELECT count(*) AS n, sum(x) AS s, max(x) AS m FROM range(10) AS t(x)'),
      );

      expect(JSON.parse(JSON.stringify(rows))).toEqual([{ n: 10, s: 45, m: 9 }]);
    });
  });

  describe('statements', () => {
    it('explains that a statement with params must be a single statement', async () => {
      await expect(engine.run(sql('two-with-params', 'SELECT ?; SELECT 2'), ['x'])).rejects.toMatchObject({
        name: ErrorNames.Sql,
        message: expect.stringContaining('two-with-params: ') as unknown,
      });
      await expect(engine.run(sql('two-with-params', 'SELECT ?; SELECT 2'), ['x'])).rejects.toThrow(
        /single statement/,
      );
    });

    it('reads and writes Parquet through a bound path', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventlake-duckdb-'));
      try {
        const file = path.join(dir, "it's; here.parquet");
        await engine.run(
          sql(
            'write',
            `COPY (SELECT 1 AS id, 'a' AS label) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`,
          ),
        );

        expect(await engine.query(sql('read', 'SELECT id, label FROM read_parquet(?)'), [file])).toEqual([
          { id: 1, label: 'a' },
        ]);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('close', () => {
    it('makes later statements fail with SqlError', async () => {
      await engine.close();

      await expect(engine.query(sql('after-close', 'SELECT 1'))).rejects.toMatchObject({
        name: ErrorNames.Sql,
        message: 'after-close: the engine is closed',
      });
    });

    it('is idempotent', async () => {
      await engine.close();

      await expect(engine.close()).resolves.toBeUndefined();
    });

    it('spills into a folder of its own under the system temp folder (never ./.tmp), removed on close', async () => {
      // DuckDB's default temp_directory for an in-memory database is `.tmp` under the current directory.
      const [row] = await engine.query<{ dir: string }>(sql('temp-dir', "SELECT current_setting('temp_directory') AS dir"));
      const dir = String(row?.dir);
      expect(path.isAbsolute(dir)).toBe(true);
      expect(dir.startsWith(path.join(os.tmpdir(), 'eventlake-duckdb-'))).toBe(true);
      await expect(fs.stat(dir)).resolves.toBeDefined();

      await engine.close();

      await expect(fs.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('waits for statements already queued', async () => {
      const pending = engine.query(sql('queued', 'SELECT 42 AS answer'));
      const closing = engine.close();

      expect(await pending).toEqual([{ answer: 42 }]);
      await closing;
    });
  });
});
