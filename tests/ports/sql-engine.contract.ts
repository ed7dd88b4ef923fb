import { ErrorNames } from '../../src/errors';
import type { SqlEngine, SqlStatement } from '../../src/ports/sql-engine';

/** An engine for the whole suite, and how to close it. */
export interface SqlEngineFixture {
  readonly engine: SqlEngine;
  cleanup(): Promise<void>;
}

/**
 * The few statements whose text differs between engines. Defaults are DuckDB's; Athena's adapter passes
 * its own (an Iceberg table with a location, for instance).
 */
export interface SqlContractDialect {
  /** DDL creating an empty scratch table `table` with columns `id INTEGER, label VARCHAR`. */
  createScratchTable(table: string): string;
}

const duckDbDialect: SqlContractDialect = {
  createScratchTable: (table) => `CREATE TABLE ${table} (id INTEGER, label VARCHAR)`,
};

function sql(name: string, text: string): SqlStatement {
  return { name, text };
}

/**
 * The SqlEngine contract (src/ports/sql-engine.ts), run by every adapter: DuckDB locally, Athena on AWS.
 * One engine serves the suite; tests that need a table create their own, under a unique name.
 */
export function sqlEngineContract(
  name: string,
  makeEngine: () => Promise<SqlEngineFixture>,
  dialect: SqlContractDialect = duckDbDialect,
): void {
  describe(`SqlEngine contract: ${name}`, () => {
    let fixture: SqlEngineFixture;
    let engine: SqlEngine;
    let tables = 0;

    beforeAll(async () => {
      fixture = await makeEngine();
      engine = fixture.engine;
    });

    afterAll(async () => {
      await fixture.cleanup();
    });

    async function scratchTable(): Promise<string> {
      tables += 1;
      const table = `contract_scratch_${tables}`;
      await engine.run(sql('contract/create-scratch', dialect.createScratchTable(table)));
      return table;
    }

    async function one(
      text: string,
      params?: Parameters<SqlEngine['query']>[1],
    ): Promise<Record<string, unknown>> {
      const rows = await engine.query(sql('contract/one-row', text), params);
      expect(rows).toHaveLength(1);
      return rows[0] ?? {};
    }

    describe('rows', () => {
      it('come back as plain objects keyed by column name', async () => {
        const rows = await engine.query(
          sql('contract/rows', "SELECT 1 AS id, 'a' AS label UNION ALL SELECT 2, 'b' ORDER BY id"),
        );

        expect(rows).toEqual([
          { id: 1, label: 'a' },
          { id: 2, label: 'b' },
        ]);
        expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
      });

      it('are an empty array when nothing matches', async () => {
        expect(await engine.query(sql('contract/none', 'SELECT 1 AS id WHERE 1 = 0'))).toEqual([]);
      });
    });

    describe('types', () => {
      it('maps INTEGER, BIGINT and DOUBLE to JS numbers', async () => {
        expect(
          await one(
            'SELECT CAST(42 AS INTEGER) AS i, CAST(9007199254740991 AS BIGINT) AS b, CAST(0.5 AS DOUBLE) AS d',
          ),
        ).toEqual({ i: 42, b: 9007199254740991, d: 0.5 });
      });

      it('maps an aggregate count (BIGINT or HUGEINT) to a JS number', async () => {
        expect(await one('SELECT count(*) AS n, sum(x) AS s FROM (VALUES (1), (2), (3)) AS t(x)')).toEqual({
          n: 3,
          s: 6,
        });
      });

      it('maps DECIMAL to a JS number', async () => {
        expect(await one('SELECT CAST(1712511721.022075 AS DECIMAL(18, 6)) AS created_at')).toEqual({
          created_at: 1712511721.022075,
        });
      });

      it("maps DATE to 'YYYY-MM-DD'", async () => {
        expect(await one("SELECT DATE '2024-04-07' AS event_date")).toEqual({ event_date: '2024-04-07' });
      });

      it('maps TIMESTAMP to ISO 8601 in UTC with Z, keeping microseconds', async () => {
        expect(await one("SELECT TIMESTAMP '2024-04-07 17:42:01.022075' AS t")).toEqual({
          t: '2024-04-07T17:42:01.022075Z',
        });
      });

      it('always gives six fraction digits', async () => {
        expect(
          await one("SELECT TIMESTAMP '2024-04-07 17:42:01' AS t, TIMESTAMP '2024-04-07 17:42:01.5' AS u"),
        ).toEqual({
          t: '2024-04-07T17:42:01.000000Z',
          u: '2024-04-07T17:42:01.500000Z',
        });
      });

      it('maps TIMESTAMP WITH TIME ZONE to the same instant in UTC with Z', async () => {
        expect(await one("SELECT TIMESTAMP WITH TIME ZONE '2024-04-07 19:42:01.022075+02:00' AS t")).toEqual({
          t: '2024-04-07T17:42:01.022075Z',
        });
      });

      it('maps a timestamp before 1970 correctly', async () => {
        expect(await one("SELECT TIMESTAMP '1969-12-31 23:59:59.999999' AS t")).toEqual({
          t: '1969-12-31T23:59:59.999999Z',
        });
      });

      it('maps VARCHAR to a string, unchanged', async () => {
        expect(await one("SELECT 'caf\u00e9 \u{1F600} ''quoted''' AS s, '' AS empty")).toEqual({
          s: "caf\u00e9 \u{1F600} 'quoted'",
          empty: '',
        });
      });

      it('maps BOOLEAN to a JS boolean', async () => {
        expect(await one('SELECT 1 = 1 AS yes, 1 = 0 AS no')).toEqual({ yes: true, no: false });
      });

      it('maps NULL of any type to null', async () => {
        expect(
          await one(
            'SELECT CAST(NULL AS VARCHAR) AS s, CAST(NULL AS BIGINT) AS b, CAST(NULL AS TIMESTAMP) AS t, CAST(NULL AS DATE) AS d',
          ),
        ).toEqual({ s: null, b: null, t: null, d: null });
      });

      it('maps a list to a JS array', async () => {
        expect(await one("SELECT ARRAY[1, 2, 3] AS ints, ARRAY['a', NULL] AS texts")).toEqual({
          ints: [1, 2, 3],
          texts: ['a', null],
        });
      });

      it('maps a struct to a plain JS object', async () => {
        expect(await one("SELECT CAST(ROW(7, 'x') AS STRUCT(n INTEGER, s VARCHAR)) AS r")).toEqual({
          r: { n: 7, s: 'x' },
        });
      });

      it('maps values inside a list the same way as top-level values', async () => {
        expect(
          await one(
            "SELECT ARRAY[TIMESTAMP '2024-04-07 17:42:01.022075', TIMESTAMP '2024-04-08 00:00:00'] AS ts",
          ),
        ).toEqual({ ts: ['2024-04-07T17:42:01.022075Z', '2024-04-08T00:00:00.000000Z'] });
      });
    });

    describe('parameters', () => {
      it('bind to ? placeholders in order', async () => {
        expect(await one('SELECT ? AS a, ? AS b, ? AS c', ['first', 'second', 'third'])).toEqual({
          a: 'first',
          b: 'second',
          c: 'third',
        });
      });

      it('bind numbers, booleans and null', async () => {
        expect(
          await one('SELECT ? AS i, ? AS big, ? AS f, ? AS yes, ? IS NULL AS is_null', [
            7,
            9007199254740991,
            1.5,
            true,
            null,
          ]),
        ).toEqual({ i: 7, big: 9007199254740991, f: 1.5, yes: true, is_null: true });
      });

      it("keep a value with a quote and a ';' a value: never spliced into the SQL", async () => {
        const value = "O'Brien'; DROP TABLE contract_victim; --";
        await engine.run(sql('contract/create-victim', dialect.createScratchTable('contract_victim')));

        expect(await one('SELECT ? AS v', [value])).toEqual({ v: value });
        await engine.run(sql('contract/insert-victim', 'INSERT INTO contract_victim VALUES (?, ?)'), [
          1,
          value,
        ]);

        expect(
          await engine.query(sql('contract/read-victim', 'SELECT id, label FROM contract_victim')),
        ).toEqual([{ id: 1, label: value }]);
      });

      it('compare as values in a WHERE clause', async () => {
        const table = await scratchTable();
        await engine.run(sql('contract/insert', `INSERT INTO ${table} VALUES (1, 'a'), (2, 'b'), (3, 'c')`));

        const rows = await engine.query(
          sql('contract/where', `SELECT id FROM ${table} WHERE label = ? OR id = ? ORDER BY id`),
          ['c', 1],
        );

        expect(rows).toEqual([{ id: 1 }, { id: 3 }]);
      });
    });

    describe('statements', () => {
      it('run several ;-separated statements in one text when there are no params', async () => {
        tables += 1;
        const table = `contract_multi_${tables}`;

        await engine.run(
          sql(
            'contract/multi',
            `${dialect.createScratchTable(table)};
             INSERT INTO ${table} VALUES (1, 'one');
             INSERT INTO ${table} VALUES (2, 'two');`,
          ),
        );

        expect(
          await engine.query(sql('contract/read-multi', `SELECT id, label FROM ${table} ORDER BY id`)),
        ).toEqual([
          { id: 1, label: 'one' },
          { id: 2, label: 'two' },
        ]);
      });

      it('answer a multi-statement query with the rows of its last statement', async () => {
        const table = await scratchTable();

        const rows = await engine.query(
          sql(
            'contract/multi-query',
            `INSERT INTO ${table} VALUES (5, 'five'); SELECT id, label FROM ${table}`,
          ),
        );

        expect(rows).toEqual([{ id: 5, label: 'five' }]);
      });

      it('run in call order even when not awaited one by one', async () => {
        const table = await scratchTable();

        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            engine.run(
              sql('contract/ordered-insert', `INSERT INTO ${table} SELECT count(*), ? FROM ${table}`),
              [`call-${i}`],
            ),
          ),
        );

        const rows = await engine.query<{ id: number; label: string }>(
          sql('contract/read-ordered', `SELECT id, label FROM ${table} ORDER BY id`),
        );
        expect(rows).toEqual(Array.from({ length: 20 }, (_, i) => ({ id: i, label: `call-${i}` })));
      });
    });

    describe('errors', () => {
      it('throw SqlError naming the statement, with the engine error as cause', async () => {
        const failure = engine.query(sql('curated/merge-batch', 'SELEC 1'));

        await expect(failure).rejects.toMatchObject({ name: ErrorNames.Sql });
        const error = (await failure.catch((e: unknown) => e)) as Error;
        expect(error.message).toContain('curated/merge-batch');
        expect(error.cause).toBeDefined();
      });

      it('name the statement when a table is missing', async () => {
        await expect(
          engine.run(sql('staging/read', 'SELECT * FROM contract_no_such_table')),
        ).rejects.toMatchObject({
          name: ErrorNames.Sql,
          message: expect.stringContaining('staging/read') as unknown,
        });
      });

      it('reject a params count that does not match the placeholders', async () => {
        await expect(
          engine.query(sql('contract/too-few', 'SELECT ? AS a, ? AS b'), ['only one']),
        ).rejects.toMatchObject({
          name: ErrorNames.Sql,
        });
        await expect(
          engine.query(sql('contract/too-many', 'SELECT ? AS a'), ['one', 'two']),
        ).rejects.toMatchObject({
          name: ErrorNames.Sql,
        });
      });

      it('leave the engine usable', async () => {
        await expect(engine.run(sql('contract/bad', 'SELEC 1'))).rejects.toMatchObject({
          name: ErrorNames.Sql,
        });

        expect(await one('SELECT 1 AS ok')).toEqual({ ok: 1 });
      });
    });
  });
}
