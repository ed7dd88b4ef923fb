import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
  type GetQueryExecutionCommandOutput,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaEngine, AthenaQueryError } from '../../../src/adapters/aws/athena-engine';
import { ErrorNames } from '../../../src/errors';
import type { SqlStatement } from '../../../src/ports/sql-engine';

const athena = mockClient(AthenaClient);
const context = { Database: 'eventlake', Catalog: 'AwsDataCatalog' };

function sql(name: string, text: string): SqlStatement {
  return { name, text };
}

function execution(
  state: QueryExecutionState,
  extra: { reason?: string; statementType?: 'DML' | 'DDL' | 'UTILITY'; retryable?: boolean } = {},
): Partial<GetQueryExecutionCommandOutput> {
  return {
    QueryExecution: {
      QueryExecutionId: 'q-1',
      StatementType: extra.statementType ?? 'DML',
      Status: {
        State: state,
        ...(extra.reason !== undefined ? { StateChangeReason: extra.reason } : {}),
        ...(extra.retryable !== undefined ? { AthenaError: { Retryable: extra.retryable } } : {}),
      },
    },
  };
}

function header(...names: string[]): { Data: { VarCharValue: string }[] } {
  return { Data: names.map((name) => ({ VarCharValue: name })) };
}

describe('AthenaEngine', () => {
  let engine: AthenaEngine;

  beforeEach(() => {
    athena.reset();
    engine = new AthenaEngine({
      client: new AthenaClient({ region: 'eu-west-1' }),
      workGroup: 'eventlake',
      database: 'eventlake',
      pollIntervalMs: 0,
    });
  });

  describe('run', () => {
    it('starts the query in the workgroup and database, then polls until SUCCEEDED', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena
        .on(GetQueryExecutionCommand)
        .resolvesOnce(execution('QUEUED'))
        .resolvesOnce(execution('RUNNING'))
        .resolves(execution('SUCCEEDED'));

      // Act
      await engine.run(
        sql('athena/clear_classified', 'DELETE FROM "eventlake"."classified" WHERE batch_id = ?'),
        ['b1'],
      );

      // Assess
      expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
        QueryString: 'DELETE FROM "eventlake"."classified" WHERE batch_id = \'b1\'',
        QueryExecutionContext: context,
        WorkGroup: 'eventlake',
      });
      const polls = athena.commandCalls(GetQueryExecutionCommand);
      expect(polls).toHaveLength(3);
      for (const poll of polls) expect(poll.args[0].input).toEqual({ QueryExecutionId: 'q-1' });
      expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
    });

    it('binds every kind of value client-side as an escaped Athena literal, doubling quotes', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
      const text = 'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)';

      // Act
      await engine.run(sql('t/insert', text), [
        "O'Brien'; DROP TABLE t; --",
        7,
        9007199254740991,
        1.5,
        true,
        null,
      ]);

      // Assess
      expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
        QueryString: "INSERT INTO t VALUES ('O''Brien''; DROP TABLE t; --', 7, 9007199254740991, 1.5, TRUE, NULL)",
        QueryExecutionContext: context,
        WorkGroup: 'eventlake',
      });
    });

    it('refuses a params count that does not match the placeholders, before starting anything', async () => {
      await expect(
        engine.run(sql('t/too-few', "SELECT ? AS a, '?' AS quoted, ? AS b"), ['one']),
      ).rejects.toMatchObject({
        name: ErrorNames.Sql,
        message: 't/too-few: expects 2 parameter(s) for its ? placeholders, got 1',
      });
      expect(athena.calls()).toHaveLength(0);
    });

    it('refuses a non-finite number as a parameter', async () => {
      await expect(engine.run(sql('t/nan', 'SELECT ?'), [Number.NaN])).rejects.toMatchObject({
        name: ErrorNames.Sql,
      });
      expect(athena.calls()).toHaveLength(0);
    });

    it('runs a multi-statement text one statement per query, in order, each waited for', async () => {
      // Prepare
      athena
        .on(StartQueryExecutionCommand)
        .resolvesOnce({ QueryExecutionId: 'q-1' })
        .resolvesOnce({ QueryExecutionId: 'q-2' })
        .resolvesOnce({ QueryExecutionId: 'q-3' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));

      // Act
      await engine.run(
        sql(
          'contract/multi',
          `-- scratch table
           CREATE TABLE t (id INTEGER, label VARCHAR);
           INSERT INTO t VALUES (1, 'one;two');
           /* ; */ INSERT INTO t VALUES (2, 'two');
           `,
        ),
      );

      // Assess
      expect(
        athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.QueryString),
      ).toEqual([
        '-- scratch table\n           CREATE TABLE t (id INTEGER, label VARCHAR)',
        "INSERT INTO t VALUES (1, 'one;two')",
        "/* ; */ INSERT INTO t VALUES (2, 'two')",
      ]);
      expect(athena.calls().map((call) => call.args[0].constructor.name)).toEqual([
        'StartQueryExecutionCommand',
        'GetQueryExecutionCommand',
        'StartQueryExecutionCommand',
        'GetQueryExecutionCommand',
        'StartQueryExecutionCommand',
        'GetQueryExecutionCommand',
      ]);
    });

    it('hands each statement of a text its own share of the parameters', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));

      await engine.run(sql('t/two', 'DELETE FROM t WHERE id = ?; INSERT INTO t VALUES (?, ?);'), [1, 2, 'b']);

      expect(
        athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.QueryString),
      ).toEqual(['DELETE FROM t WHERE id = 1', "INSERT INTO t VALUES (2, 'b')"]);
    });

    it('passes a ClientRequestToken when the option derives one', async () => {
      // Prepare
      const tokenized = new AthenaEngine({
        client: new AthenaClient({ region: 'eu-west-1' }),
        workGroup: 'wg',
        database: 'db',
        catalog: 'other_catalog',
        pollIntervalMs: 0,
        clientRequestToken: ({ statement, params, part }) =>
          `${statement.name}:${String(params[0])}:${part}`.padEnd(32, '.'),
      });
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));

      // Act
      await tokenized.run(
        sql('athena/merge_group', 'MERGE INTO t USING s ON false WHEN NOT MATCHED THEN INSERT *  -- ?'),
        [],
      );
      await tokenized.run(sql('athena/merge_group', 'SELECT ?'), ['b1']);

      // Assess
      expect(athena.commandCalls(StartQueryExecutionCommand)[1]?.args[0].input).toEqual({
        QueryString: "SELECT 'b1'",
        QueryExecutionContext: { Database: 'db', Catalog: 'other_catalog' },
        WorkGroup: 'wg',
        ClientRequestToken: 'athena/merge_group:b1:0'.padEnd(32, '.'),
      });
    });

    it('runs calls in call order even when they are not awaited one by one', async () => {
      // Prepare
      let started = 0;
      athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q-${(started += 1)}` }));
      athena.on(GetQueryExecutionCommand).callsFake(async (input: { QueryExecutionId: string }) => {
        await new Promise((resolve) => setTimeout(resolve, input.QueryExecutionId === 'q-1' ? 20 : 0));
        return execution('SUCCEEDED');
      });

      // Act
      await Promise.all([engine.run(sql('a', 'SELECT 1')), engine.run(sql('b', 'SELECT 2'))]);

      // Assess: the second query started only after the first one finished.
      expect(athena.calls().map((call) => call.args[0].constructor.name)).toEqual([
        'StartQueryExecutionCommand',
        'GetQueryExecutionCommand',
        'StartQueryExecutionCommand',
        'GetQueryExecutionCommand',
      ]);
    });

    it('refuses statements once closed', async () => {
      await engine.close();

      await expect(engine.run(sql('late', 'SELECT 1'))).rejects.toMatchObject({ name: ErrorNames.Sql });
      expect(athena.calls()).toHaveLength(0);
    });
  });

  describe('query', () => {
    it('pages GetQueryResults by NextToken, skipping the header row of the first page only', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
      const metadata = {
        ColumnInfo: [
          { Name: 'id', Type: 'integer' },
          { Name: 'label', Type: 'varchar' },
        ],
      };
      athena
        .on(GetQueryResultsCommand)
        .resolvesOnce({
          ResultSet: {
            ResultSetMetadata: metadata,
            Rows: [header('id', 'label'), { Data: [{ VarCharValue: '1' }, { VarCharValue: 'a' }] }],
          },
          NextToken: 'page-2',
        })
        .resolvesOnce({
          ResultSet: {
            ResultSetMetadata: metadata,
            Rows: [{ Data: [{ VarCharValue: '2' }, { VarCharValue: 'id' }] }],
          },
        });

      // Act
      const rows = await engine.query(sql('t/rows', 'SELECT id, label FROM t ORDER BY id'));

      // Assess
      expect(rows).toEqual([
        { id: 1, label: 'a' },
        { id: 2, label: 'id' },
      ]);
      expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
      const pages = athena.commandCalls(GetQueryResultsCommand);
      expect(pages[0]?.args[0].input).toEqual({ QueryExecutionId: 'q-1', MaxResults: 1000 });
      expect(pages[1]?.args[0].input).toEqual({
        QueryExecutionId: 'q-1',
        MaxResults: 1000,
        NextToken: 'page-2',
      });
    });

    it('converts values by the column types of ResultSetMetadata', async () => {
      // Prepare
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
      const columns: [string, string, string | undefined][] = [
        ['i', 'integer', '42'],
        ['b', 'bigint', '9007199254740991'],
        ['d', 'double', '0.5'],
        ['created_at', 'decimal', '1712511721.022075'],
        ['yes', 'boolean', 'true'],
        ['no', 'boolean', 'false'],
        ['s', 'varchar', "caf\u00e9 'quoted'"],
        ['empty', 'varchar', ''],
        ['event_date', 'date', '2024-04-07'],
        ['t', 'timestamp', '2024-04-07 17:42:01.022'],
        ['tz', 'timestamp with time zone', '2024-04-07 19:42:01.022075 +02:00'],
        ['j', 'json', '{"a":[1,2]}'],
        ['nothing', 'bigint', undefined],
      ];
      athena.on(GetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Type })) },
          Rows: [
            header(...columns.map(([name]) => name)),
            { Data: columns.map(([, , value]) => (value === undefined ? {} : { VarCharValue: value })) },
          ],
        },
      });

      // Act
      const [row] = await engine.query(sql('t/types', 'SELECT ...'));

      // Assess
      expect(row).toEqual({
        i: 42,
        b: 9007199254740991,
        d: 0.5,
        created_at: 1712511721.022075,
        yes: true,
        no: false,
        s: "caf\u00e9 'quoted'",
        empty: '',
        event_date: '2024-04-07',
        t: '2024-04-07T17:42:01.022000Z',
        tz: '2024-04-07T17:42:01.022075Z',
        j: { a: [1, 2] },
        nothing: null,
      });
    });

    it('answers the rows of the last statement of a multi-statement text', async () => {
      // Prepare
      athena
        .on(StartQueryExecutionCommand)
        .resolvesOnce({ QueryExecutionId: 'q-insert' })
        .resolvesOnce({ QueryExecutionId: 'q-select' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
      athena.on(GetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'id', Type: 'integer' }] },
          Rows: [header('id'), { Data: [{ VarCharValue: '5' }] }],
        },
      });

      // Act
      const rows = await engine.query(sql('t/multi', "INSERT INTO t VALUES (5, 'five'); SELECT id FROM t"));

      // Assess
      expect(rows).toEqual([{ id: 5 }]);
      expect(
        athena.commandCalls(GetQueryResultsCommand).map((call) => call.args[0].input.QueryExecutionId),
      ).toEqual(['q-select']);
    });

    it('keeps the first row of a DDL/UTILITY answer, which has no header', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { statementType: 'UTILITY' }));
      athena.on(GetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'string' }] },
          Rows: [{ Data: [{ VarCharValue: 'events' }] }],
        },
      });

      expect(await engine.query(sql('t/show', 'SHOW TABLES'))).toEqual([{ tab_name: 'events' }]);
    });
  });

  describe('errors', () => {
    beforeEach(() => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    });

    it('throws SqlError naming the statement, with the reason and an AthenaQueryError cause, for a FAILED query', async () => {
      // Prepare
      athena
        .on(GetQueryExecutionCommand)
        .resolvesOnce(execution('RUNNING'))
        .resolves(execution('FAILED', { reason: "line 1:1: mismatched input 'SELEC'" }));

      // Act
      const failure = (await engine
        .query(sql('curated/merge-batch', 'SELEC 1'))
        .catch((e: unknown) => e)) as Error;

      // Assess
      expect(failure).toMatchObject({
        name: ErrorNames.Sql,
        message: "curated/merge-batch: line 1:1: mismatched input 'SELEC'",
      });
      expect(failure.cause).toBeInstanceOf(AthenaQueryError);
      expect(failure.cause).toMatchObject({ queryExecutionId: 'q-1', state: 'FAILED' });
    });

    it.each([
      'ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table: eventlake.events',
      'Commit conflict detected while writing to table events',
    ])('throws TransientError for an Iceberg commit conflict: %s', async (reason) => {
      athena.on(GetQueryExecutionCommand).resolves(execution('FAILED', { reason }));

      await expect(engine.run(sql('athena/merge_group', 'MERGE ...'))).rejects.toMatchObject({
        name: ErrorNames.Transient,
        message: expect.stringContaining('athena/merge_group') as unknown,
      });
    });

    it('throws TransientError for a failure Athena itself marks retryable', async () => {
      athena
        .on(GetQueryExecutionCommand)
        .resolves(execution('FAILED', { reason: 'internal error', retryable: true }));

      await expect(engine.run(sql('x', 'SELECT 1'))).rejects.toMatchObject({ name: ErrorNames.Transient });
    });

    it('throws SqlError for a CANCELLED query', async () => {
      athena.on(GetQueryExecutionCommand).resolves(execution('CANCELLED', { reason: 'stopped by user' }));

      await expect(engine.run(sql('x', 'SELECT 1'))).rejects.toMatchObject({
        name: ErrorNames.Sql,
        message: 'x: cancelled: stopped by user',
      });
    });

    it('maps TooManyRequestsException at start to TransientError with the SDK error as cause', async () => {
      const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
      athena.on(StartQueryExecutionCommand).rejects(throttled);

      await expect(engine.run(sql('x', 'SELECT 1'))).rejects.toMatchObject({
        name: ErrorNames.Transient,
        cause: throttled,
      });
    });

    it('maps InvalidRequestException at start to SqlError naming the statement', async () => {
      const invalid = new InvalidRequestException({
        message: 'Queries of this type are not supported',
        $metadata: {},
      });
      athena.on(StartQueryExecutionCommand).rejects(invalid);

      await expect(engine.run(sql('staging/read', 'SELECT 1'))).rejects.toMatchObject({
        name: ErrorNames.Sql,
        message: expect.stringContaining('staging/read') as unknown,
        cause: invalid,
      });
    });

    it('keeps polling through a throttled GetQueryExecution', async () => {
      athena
        .on(GetQueryExecutionCommand)
        .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
        .resolves(execution('SUCCEEDED'));

      await engine.run(sql('x', 'SELECT 1'));

      expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(2);
    });

    it('stops a query still RUNNING after the timeout and throws SqlError', async () => {
      // Prepare
      const impatient = new AthenaEngine({
        client: new AthenaClient({ region: 'eu-west-1' }),
        workGroup: 'eventlake',
        database: 'eventlake',
        pollIntervalMs: 5,
        timeoutMs: 30,
      });
      athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
      athena.on(StopQueryExecutionCommand).resolves({});

      // Act
      const failure = impatient.run(sql('slow', 'SELECT 1'));

      // Assess
      await expect(failure).rejects.toMatchObject({
        name: ErrorNames.Sql,
        message: expect.stringContaining('still RUNNING') as unknown,
      });
      expect(athena.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
        QueryExecutionId: 'q-1',
      });
    });

    it('throws TransientError when the query is still QUEUED at the timeout (Athena busy)', async () => {
      const impatient = new AthenaEngine({
        client: new AthenaClient({ region: 'eu-west-1' }),
        workGroup: 'eventlake',
        database: 'eventlake',
        pollIntervalMs: 5,
        timeoutMs: 20,
      });
      athena.on(GetQueryExecutionCommand).resolves(execution('QUEUED'));
      athena.on(StopQueryExecutionCommand).resolves({});

      await expect(impatient.run(sql('busy', 'SELECT 1'))).rejects.toMatchObject({
        name: ErrorNames.Transient,
      });
    });
  });
});
