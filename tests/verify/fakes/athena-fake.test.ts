import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AthenaEngine } from '../../../src/adapters/aws/athena-engine';
import { ErrorNames } from '../../../src/errors';
import { installPromiseWithResolvers } from '../../../src/runtime/polyfill';
import {
  AthenaFake,
  type AthenaExecutor,
  type AthenaExecutorResult,
} from '../../../verify/fakes/athena-fake';
import { CallRecorder } from '../../../verify/fakes/recorder';
import { S3Fake } from '../../../verify/fakes/s3-fake';
import { installSdkInterception, type SdkInterception } from '../../../verify/fakes/sdk-intercept';

installPromiseWithResolvers();

const WORKGROUP_ARN = 'arn:aws:athena:us-east-1:123456789012:workgroup/eventlake';
const TOKEN = 'eventlake-merge-0123456789abcdef0123456789abcdef-3';
const MERGE = `MERGE INTO "eventlake"."events" t USING (SELECT * FROM "eventlake"."classified" WHERE batch_id = 'b1') s
ON t.event_uuid = s.event_uuid WHEN NOT MATCHED THEN INSERT (event_uuid) VALUES (s.event_uuid)`;

const empty: AthenaExecutorResult = { columns: [], rows: [] };

interface Fixture {
  readonly recorder: CallRecorder;
  readonly s3: S3Fake;
  readonly athena: AthenaFake;
  readonly executed: string[];
  readonly client: AthenaClient;
  readonly engine: AthenaEngine;
}

describe('AthenaFake', () => {
  let interception: SdkInterception | undefined;
  let answer: (sql: string) => AthenaExecutorResult | Promise<AthenaExecutorResult>;
  let f: Fixture;

  beforeEach(() => {
    answer = () => empty;
    const recorder = new CallRecorder();
    const s3 = new S3Fake({ buckets: ['lake-bucket', 'results-bucket'] });
    const executed: string[] = [];
    const executor: AthenaExecutor = async (sql) => {
      executed.push(sql);
      return answer(sql);
    };
    const athena = new AthenaFake({
      executor,
      recorder,
      objects: s3,
      resultLocation: 's3://results-bucket/athena/',
      tables: {
        'eventlake.events': { location: 's3://lake-bucket/curated/events/', iceberg: true, partitionColumns: ['event_type', 'event_date'] },
        'eventlake.rooted': { location: 's3://results-bucket/', iceberg: true },
        'eventlake.classified': { location: 's3://lake-bucket/staging/classified/', iceberg: true },
        'eventlake.staged': { location: 's3://lake-bucket/staging/staged/', iceberg: false },
      },
    });
    interception = installSdkInterception({ recorder, handlers: { Athena: athena } });
    const client = new AthenaClient({});
    const engine = new AthenaEngine({
      client,
      workGroup: 'eventlake',
      database: 'eventlake',
      pollIntervalMs: 0,
    });
    f = { recorder, s3, athena, executed, client, engine };
  });

  afterEach(() => {
    interception?.uninstall();
    interception = undefined;
  });

  const start = (input: Record<string, unknown>) =>
    f.client.send(
      new StartQueryExecutionCommand({ WorkGroup: 'eventlake', QueryString: 'SELECT 1', ...input }),
    );
  const state = async (id: string) =>
    (await f.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status;
  /** Polls until the query ends, as a well-behaved caller does. */
  const settle = async (id: string) => {
    for (;;) {
      const status = await state(id);
      if (status?.State !== 'QUEUED' && status?.State !== 'RUNNING') return status;
    }
  };

  describe('through the SDK, for the AthenaEngine', () => {
    it('runs a SELECT asynchronously and answers its rows under a header row', async () => {
      // Prepare
      answer = () => ({
        columns: [
          { name: 'id', type: 'integer' },
          { name: 'label', type: 'varchar' },
        ],
        rows: [
          ['1', 'a'],
          ['2', null],
        ],
      });

      // Act
      const rows = await f.recorder.run('role-lambda', () =>
        f.engine.query(
          { name: 't/rows', text: 'SELECT id, label FROM "eventlake"."events" WHERE batch_id = ?' },
          ['b1'],
        ),
      );

      // Assess
      expect(rows).toEqual([
        { id: 1, label: 'a' },
        { id: 2, label: null },
      ]);
      expect(f.executed).toEqual([`SELECT id, label FROM "eventlake"."events" WHERE batch_id = 'b1'`]);
      const polls = f.recorder.calls.filter((c) => c.action === 'athena:GetQueryExecution');
      expect(polls).toHaveLength(3); // QUEUED, RUNNING, SUCCEEDED
      expect(polls.every((c) => c.principal === 'role-lambda' && c.resources[0] === WORKGROUP_ARN)).toBe(
        true,
      );
    });

    it('answers QUEUED first and runs nothing until polled, so a caller that does not poll gets no result', async () => {
      const { QueryExecutionId: id } = await start({});

      await expect(f.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }))).rejects.toMatchObject(
        {
          name: 'InvalidRequestException',
          message: 'Query has not yet finished. Current state: QUEUED',
        },
      );
      expect(f.executed).toEqual([]);
      expect((await state(id as string))?.State).toBe('QUEUED');
      expect((await state(id as string))?.State).toBe('RUNNING');
      expect((await state(id as string))?.State).toBe('SUCCEEDED');
      expect(f.executed).toEqual(['SELECT 1']);
    });

    it('pages GetQueryResults by at most 1000 rows, the header counting in the first page', async () => {
      // Prepare
      answer = () => ({
        columns: [{ name: 'n', type: 'bigint' }],
        rows: Array.from({ length: 2500 }, (_, i) => [String(i)]),
      });

      // Act
      const rows = await f.engine.query({ name: 't/many', text: 'SELECT n FROM "eventlake"."events"' });

      // Assess
      expect(rows).toHaveLength(2500);
      expect(rows.at(-1)).toEqual({ n: 2499 });
      expect(f.recorder.calls.filter((c) => c.action === 'athena:GetQueryResults')).toHaveLength(3);
    });

    it('refuses MaxResults over 1000 with InvalidRequestException', async () => {
      const { QueryExecutionId: id } = await start({});
      await settle(id as string);

      await expect(
        f.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1001 })),
      ).rejects.toMatchObject({
        name: 'InvalidRequestException',
      });
    });

    it('cancels a query stopped while queued; it never runs', async () => {
      const { QueryExecutionId: id } = await start({});

      await f.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));

      expect(await settle(id as string)).toMatchObject({ State: 'CANCELLED' });
      expect(f.executed).toEqual([]);
    });

    it('rolls back, never commits, a statement stopped while it runs', async () => {
      // Prepare
      let release!: () => void;
      const commit = jest.fn(() => Promise.resolve());
      const rollback = jest.fn(() => Promise.resolve());
      answer = () => new Promise((resolve) => (release = () => resolve({ ...empty, commit, rollback })));
      const { QueryExecutionId: id } = await start({
        QueryString: 'DELETE FROM "eventlake"."classified" WHERE batch_id = \'b1\'',
      });
      await state(id as string);
      expect((await state(id as string))?.State).toBe('RUNNING');

      // Act
      const stopping = f.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      release();
      await stopping;

      // Assess
      expect(await settle(id as string)).toMatchObject({ State: 'CANCELLED' });
      expect(rollback).toHaveBeenCalledTimes(1);
      expect(commit).not.toHaveBeenCalled();
    });

    it('lets a test inject a failure so retry paths run: an Iceberg commit conflict is transient for the engine', async () => {
      // Prepare
      f.athena.failNext(/DELETE FROM/, {
        reason: 'ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table: eventlake.classified',
        errorType: 233,
      });
      const statement = {
        name: 'athena/clear_classified',
        text: 'DELETE FROM "eventlake"."classified" WHERE batch_id = ?',
      };

      // Act
      const first = await f.engine.run(statement, ['b1']).catch((e: unknown) => e);
      await f.engine.run(statement, ['b1']);

      // Assess: the first run failed without touching the table, the retry ran it.
      expect(first).toMatchObject({ name: ErrorNames.Transient });
      expect(f.executed).toEqual([`DELETE FROM "eventlake"."classified" WHERE batch_id = 'b1'`]);
    });

    it('throttles the next start on request (TooManyRequestsException), which the engine reports as transient', async () => {
      f.athena.throttleNext();

      await expect(f.engine.run({ name: 'x', text: 'SELECT 1' })).rejects.toMatchObject({
        name: ErrorNames.Transient,
      });
      await f.engine.run({ name: 'x', text: 'SELECT 1' });
      expect(f.executed).toEqual(['SELECT 1']);
    });

    it("records the Glue and S3 calls Athena makes with its caller's permissions", async () => {
      // Prepare
      f.s3.objectsOf('lake-bucket').set('curated/events/data/a.parquet', Buffer.from('PAR1'));
      f.s3.objectsOf('lake-bucket').set('staging/staged/batch_id=b1/x.json', Buffer.from('{}'));
      answer = () => ({ columns: [{ name: 'n', type: 'bigint' }], rows: [['1']] });

      // Act
      await f.recorder.run('role-lambda', () =>
        f.engine.query({
          name: 't/join',
          text: 'SELECT count(*) AS n FROM "eventlake"."events" e JOIN "eventlake"."staged" s ON e.event_uuid = s.event_uuid',
        }),
      );

      // Assess
      const onBehalf = f.recorder.calls
        .filter((c) => c.via === 'athena')
        .map(({ action, resources, context }) => ({ action, resources, context }));
      const glue = (kind: string) => `arn:aws:glue:us-east-1:123456789012:${kind}`;
      expect(onBehalf).toEqual([
        {
          action: 'glue:GetDatabase',
          resources: [glue('catalog'), glue('database/eventlake')],
          context: undefined,
        },
        {
          action: 'glue:GetTable',
          resources: [glue('catalog'), glue('database/eventlake'), glue('table/eventlake/events')],
          context: undefined,
        },
        {
          action: 'glue:GetDatabase',
          resources: [glue('catalog'), glue('database/eventlake')],
          context: undefined,
        },
        {
          action: 'glue:GetTable',
          resources: [glue('catalog'), glue('database/eventlake'), glue('table/eventlake/staged')],
          context: undefined,
        },
        {
          action: 's3:ListBucket',
          resources: ['arn:aws:s3:::lake-bucket'],
          context: { 's3:prefix': 'curated/events/' },
        },
        {
          action: 's3:GetObject',
          resources: ['arn:aws:s3:::lake-bucket/curated/events/data/a.parquet'],
          context: undefined,
        },
        // The Hive (JSON) table keeps its partitions in Glue; the Iceberg one does not.
        {
          action: 'glue:GetPartitions',
          resources: [glue('catalog'), glue('database/eventlake'), glue('table/eventlake/staged')],
          context: undefined,
        },
        {
          action: 's3:ListBucket',
          resources: ['arn:aws:s3:::lake-bucket'],
          context: { 's3:prefix': 'staging/staged/' },
        },
        {
          action: 's3:GetObject',
          resources: ['arn:aws:s3:::lake-bucket/staging/staged/batch_id=b1/x.json'],
          context: undefined,
        },
        { action: 's3:GetBucketLocation', resources: ['arn:aws:s3:::results-bucket'], context: undefined },
        {
          action: 's3:PutObject',
          resources: expect.arrayContaining([
            expect.stringMatching(/^arn:aws:s3:::results-bucket\/athena\/.+\.csv$/),
          ]) as unknown,
          context: undefined,
        },
        {
          action: 's3:GetObject',
          resources: [expect.stringMatching(/^arn:aws:s3:::results-bucket\/athena\/.+\.csv$/)],
          context: undefined,
        },
      ]);
      expect(
        f.recorder.calls.filter((c) => c.via === 'athena').every((c) => c.principal === 'role-lambda'),
      ).toBe(true);
    });
  });

  describe('StartQueryExecution rules (InvalidRequestException)', () => {
    it.each([
      ['an empty QueryString', { QueryString: '' }, /length greater than or equal to 1/],
      [
        'a QueryString over 262,144 bytes',
        { QueryString: `SELECT '${'\u00e9'.repeat(131_070)}'` },
        /less than or equal to 262144/,
      ],
      [
        'a ClientRequestToken under 32 characters',
        { ClientRequestToken: 'x'.repeat(31) },
        /clientRequestToken/,
      ],
      [
        'a ClientRequestToken over 128 characters',
        { ClientRequestToken: 'x'.repeat(129) },
        /clientRequestToken/,
      ],
      [
        'two statements',
        { QueryString: 'DELETE FROM t WHERE a = 1; SELECT 1' },
        /Only one sql statement is allowed/,
      ],
    ])('refuses %s', async (_what, input, message) => {
      await expect(start(input)).rejects.toMatchObject({
        name: 'InvalidRequestException',
        message: expect.stringMatching(message) as unknown,
      });
      expect(f.athena.queries).toHaveLength(0);
    });

    it('takes a QueryString of exactly 262,144 bytes and a trailing ";"', async () => {
      const query = `SELECT '${'x'.repeat(262_144 - 10)}';`;
      expect(Buffer.byteLength(query)).toBe(262_144);

      await expect(start({ QueryString: query })).resolves.toMatchObject({
        QueryExecutionId: expect.any(String) as unknown,
      });
    });

    it('refuses a query without a result location from the request or the workgroup', async () => {
      const bare = new AthenaFake({ executor: () => Promise.resolve(empty) });
      await expect(
        bare.handle({
          service: 'Athena',
          operation: 'StartQueryExecution',
          input: { QueryString: 'SELECT 1' },
        }),
      ).rejects.toMatchObject({
        name: 'InvalidRequestException',
        message: expect.stringContaining('No output location provided') as unknown,
      });
    });

    it('answers a repeated ClientRequestToken with the earlier query, even FAILED, without running again', async () => {
      // Prepare
      f.athena.failNext(() => true, { reason: 'ICEBERG_COMMIT_ERROR: commit conflict', errorType: 233 });
      const first = await start({ QueryString: MERGE, ClientRequestToken: TOKEN });
      expect(await settle(first.QueryExecutionId as string)).toMatchObject({ State: 'FAILED' });

      // Act
      const again = await start({ QueryString: MERGE, ClientRequestToken: TOKEN });

      // Assess
      expect(again.QueryExecutionId).toBe(first.QueryExecutionId);
      expect(await settle(again.QueryExecutionId as string)).toMatchObject({ State: 'FAILED' });
      expect(f.executed).toEqual([]);
      expect(f.athena.queries).toHaveLength(1);
    });

    it('refuses a repeated ClientRequestToken with a changed QueryString', async () => {
      await start({ QueryString: MERGE, ClientRequestToken: TOKEN });

      await expect(start({ QueryString: `${MERGE} `, ClientRequestToken: TOKEN })).rejects.toMatchObject({
        name: 'InvalidRequestException',
        message: 'Idempotent parameters do not match',
      });
    });
  });

  describe('rules Athena enforces when the query runs (FAILED)', () => {
    const failed = async (input: Record<string, unknown>) => {
      const { QueryExecutionId: id } = await start(input);
      return settle(id as string);
    };

    it.each([
      ['MERGE', MERGE.replace("'b1'", '?')],
      ['DELETE', 'DELETE FROM "eventlake"."classified" WHERE batch_id = ?'],
    ])(
      'fails a %s given ExecutionParameters (only SELECT, INSERT INTO, CTAS and UNLOAD take them)',
      async (_kind, query) => {
        expect(await failed({ QueryString: query, ExecutionParameters: ["'b1'"] })).toMatchObject({
          State: 'FAILED',
          AthenaError: {
            ErrorCategory: 2,
            ErrorMessage: expect.stringContaining('NOT_SUPPORTED') as unknown,
          },
        });
        expect(f.executed).toEqual([]);
      },
    );

    describe('OPTIMIZE and VACUUM (Iceberg table maintenance)', () => {
      const OPTIMIZE = "OPTIMIZE eventlake.events REWRITE DATA USING BIN_PACK WHERE event_type = 'app' AND event_date = DATE '2024-04-07'";
      const refused = async (query: string, reason: RegExp) => {
        const status = await failed({ QueryString: query });
        expect(status).toMatchObject({ State: 'FAILED', AthenaError: { ErrorCategory: 2 } });
        expect(status?.StateChangeReason).toMatch(reason);
        expect(f.executed).toEqual([]);
      };

      it('runs OPTIMIZE with a WHERE on partition columns only, and VACUUM, on an Iceberg table', async () => {
        expect(await failed({ QueryString: OPTIMIZE })).toMatchObject({ State: 'SUCCEEDED' });
        expect(await failed({ QueryString: 'OPTIMIZE eventlake.events REWRITE DATA USING BIN_PACK' })).toMatchObject({ State: 'SUCCEEDED' });
        expect(await failed({ QueryString: 'VACUUM eventlake.events' })).toMatchObject({ State: 'SUCCEEDED' });
        expect(f.executed).toHaveLength(3);
      });

      it('fails OPTIMIZE whose WHERE names a column that is not a partition column', async () => {
        await refused(OPTIMIZE.replace("event_type = 'app'", "batch_id = 'b1'"), /only partition columns.*batch_id/);
        await refused(`${OPTIMIZE} AND lower(event_name) = 'x'`, /event_name is not a partition column/);
      });

      it('fails OPTIMIZE and VACUUM on a table that is not Iceberg, or that does not exist', async () => {
        await refused('OPTIMIZE eventlake.staged REWRITE DATA USING BIN_PACK', /supported only for Apache Iceberg tables/);
        await refused('VACUUM eventlake.staged', /supported only for Apache Iceberg tables/);
        await refused('VACUUM eventlake.nope', /TABLE_NOT_FOUND/);
      });

      it('fails OPTIMIZE and VACUUM that are not in their documented form', async () => {
        await refused('OPTIMIZE eventlake.events REWRITE DATA', /REWRITE DATA USING BIN_PACK/);
        await refused("OPTIMIZE eventlake.events REWRITE DATA USING SORT WHERE event_type = 'a'", /REWRITE DATA USING BIN_PACK/);
        await refused('VACUUM eventlake.events RETAIN 3', /VACUUM takes a table name only/);
      });

      it('fails VACUUM of a table at a bucket root, as Athena does', async () => {
        await refused('VACUUM eventlake.rooted', /GENERIC_INTERNAL_ERROR: Path missing in file system location: s3:\/\/results-bucket\//);
      });

      it('records s3:DeleteObject on the table files for VACUUM (it deletes with its caller\'s permissions)', async () => {
        await f.s3.handle({ service: 'S3', operation: 'PutObject', input: { Bucket: 'lake-bucket', Key: 'curated/events/data/a.parquet', Body: 'x' } });
        await failed({ QueryString: 'VACUUM eventlake.events' });
        const deletes = f.recorder.calls.filter((c) => c.action === 's3:DeleteObject');
        expect(deletes.map((c) => c.resources)).toEqual([['arn:aws:s3:::lake-bucket/curated/events/data/a.parquet']]);
      });
    });

    it.each([
      ['DELETE', `DELETE FROM "eventlake"."staged" WHERE user_uuid = '00000000-0000-4000-8000-000000000001'`],
      ['UPDATE', `UPDATE "eventlake"."staged" SET language = 'x' WHERE batch_id = 'b1'`],
    ])('fails a %s on a table that is not Iceberg, running nothing', async (_kind, query) => {
      expect(await failed({ QueryString: query })).toMatchObject({
        State: 'FAILED',
        AthenaError: { ErrorCategory: 2, ErrorMessage: expect.stringMatching(/^NOT_SUPPORTED: (DELETE|UPDATE) is only supported for Apache Iceberg tables$/) as unknown },
      });
      expect(f.executed).toEqual([]);
    });

    it("runs forget's DELETE on the Iceberg table, with the id formatted into the text", async () => {
      const query = `DELETE FROM "eventlake"."events" WHERE user_uuid = '00000000-0000-4000-8000-000000000001'`;

      expect(await failed({ QueryString: query })).toMatchObject({ State: 'SUCCEEDED' });
      expect(f.executed).toEqual([query]);
    });

    it('fails when ExecutionParameters do not match the ? placeholders outside quotes and comments', async () => {
      const query = 'SELECT \'?\' AS q FROM "eventlake"."events" WHERE a = ? /* ? */ AND b = ? -- ?';

      expect(await failed({ QueryString: query, ExecutionParameters: ["'x'"] })).toMatchObject({
        State: 'FAILED',
        StateChangeReason: 'Incorrect number of parameters: expected 2 but found 1',
        AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false },
      });
      expect(f.executed).toEqual([]);
    });

    it('fails a ? placed outside the WHERE clause', async () => {
      expect(
        await failed({ QueryString: 'SELECT ? FROM "eventlake"."events"', ExecutionParameters: ['1'] }),
      ).toMatchObject({ State: 'FAILED' });
    });

    it('substitutes matching ExecutionParameters in order, leaving quoted "?" alone', async () => {
      const query = 'SELECT \'?\' AS q FROM "eventlake"."events" WHERE a = ? AND b = ?';

      expect(await failed({ QueryString: query, ExecutionParameters: ["'x'", '2'] })).toMatchObject({
        State: 'SUCCEEDED',
      });
      expect(f.executed).toEqual(['SELECT \'?\' AS q FROM "eventlake"."events" WHERE a = \'x\' AND b = 2']);
    });

    it('fails a MERGE whose source matches one target row more than once, and rolls it back', async () => {
      const commit = jest.fn(() => Promise.resolve());
      const rollback = jest.fn(() => Promise.resolve());
      answer = () => ({
        ...empty,
        stats: { mergeSourceDuplicateKeys: 2, partitionsWritten: 1 },
        commit,
        rollback,
      });

      expect(await failed({ QueryString: MERGE })).toMatchObject({
        State: 'FAILED',
        StateChangeReason:
          'MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table row matched more than one source row',
      });
      expect(rollback).toHaveBeenCalledTimes(1);
      expect(commit).not.toHaveBeenCalled();
    });

    it('fails a statement that writes more than 100 partitions, and lets one that writes 100 succeed', async () => {
      answer = (sql) => ({ ...empty, stats: { partitionsWritten: sql.includes("'many'") ? 101 : 100 } });

      expect(await failed({ QueryString: MERGE.replace("'b1'", "'many'") })).toMatchObject({
        State: 'FAILED',
        StateChangeReason:
          'HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets',
      });
      expect(await failed({ QueryString: MERGE })).toMatchObject({ State: 'SUCCEEDED' });
    });
  });

  describe('startQueryExecutionSync (arn:aws:states:::athena:startQueryExecution.sync)', () => {
    const mergeParameters = {
      QueryString: MERGE,
      ClientRequestToken: TOKEN,
      QueryExecutionContext: { Database: 'eventlake', Catalog: 'AwsDataCatalog' },
      WorkGroup: 'eventlake',
    };

    it("answers the SUCCEEDED GetQueryExecution as JSON and records the state machine role's calls", async () => {
      // Prepare: the engine writes one data file into the Iceberg table's location.
      answer = () => {
        f.s3.objectsOf('lake-bucket').set('curated/events/data/new.parquet', Buffer.from('PAR1'));
        return { ...empty, stats: { partitionsWritten: 3, rowsAffected: 10 } };
      };

      // Act
      const output = await f.athena.startQueryExecutionSync(mergeParameters, { principal: 'role-sfn' });

      // Assess
      expect(JSON.parse(JSON.stringify(output))).toEqual(output);
      expect(output.QueryExecution).toMatchObject({
        Status: { State: 'SUCCEEDED' },
        StatementType: 'DML',
        WorkGroup: 'eventlake',
      });
      const byStates = f.recorder.calls.filter((c) => c.via === 'states');
      expect(byStates.map((c) => c.action)).toEqual([
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryExecution',
      ]);
      expect(byStates.every((c) => c.principal === 'role-sfn' && c.resources[0] === WORKGROUP_ARN)).toBe(
        true,
      );
      const writes = f.recorder.calls.filter(
        (c) =>
          c.via === 'athena' &&
          (c.action === 'glue:UpdateTable' || c.resources.some((r) => r.includes('curated/events/data/new'))),
      );
      expect(writes.map((c) => [c.action, c.principal])).toEqual([
        ['glue:UpdateTable', 'role-sfn'],
        ['s3:PutObject', 'role-sfn'],
      ]);
    });

    it('fails the task with States.TaskFailed, its Cause the FAILED GetQueryExecution', async () => {
      answer = () => ({ ...empty, stats: { partitionsWritten: 101 } });

      const failure = (await f.athena
        .startQueryExecutionSync(mergeParameters)
        .catch((e: unknown) => e)) as Error;

      expect(failure.name).toBe('States.TaskFailed');
      expect(JSON.parse(failure.message)).toMatchObject({
        QueryExecution: {
          Status: {
            State: 'FAILED',
            StateChangeReason: expect.stringContaining('HIVE_TOO_MANY_OPEN_PARTITIONS') as unknown,
          },
        },
      });
    });

    it('fails a MERGE state that passes ExecutionParameters (as Athena refuses them for MERGE)', async () => {
      const failure = (await f.athena
        .startQueryExecutionSync({
          ...mergeParameters,
          QueryString: MERGE.replace("'b1'", '?'),
          ExecutionParameters: ["'b1'"],
        })
        .catch((e: unknown) => e)) as Error;

      expect(failure.name).toBe('States.TaskFailed');
      expect(f.executed).toEqual([]);
    });

    it('fails with Athena.<Exception> when StartQueryExecution itself is refused', async () => {
      await expect(
        f.athena.startQueryExecutionSync({ ...mergeParameters, ClientRequestToken: 'short' }),
      ).rejects.toMatchObject({
        name: 'Athena.InvalidRequestException',
      });
    });

    it('refuses a Parameters field the integration does not take', async () => {
      await expect(f.athena.startQueryExecutionSync({ ...mergeParameters, Sql: 'x' })).rejects.toMatchObject({
        name: 'States.Runtime',
      });
    });

    it('stops the query (athena:StopQueryExecution) when the execution is aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('execution aborted'));

      await expect(
        f.athena.startQueryExecutionSync(mergeParameters, {
          principal: 'role-sfn',
          signal: controller.signal,
        }),
      ).rejects.toThrow('execution aborted');
      expect(f.athena.queries[0]?.state).toBe('CANCELLED');
      expect(f.recorder.calls.filter((c) => c.via === 'states').map((c) => c.action)).toEqual([
        'athena:StartQueryExecution',
        'athena:StopQueryExecution',
      ]);
      expect(f.executed).toEqual([]);
    });

    it('in a state machine, a Retry of a failed MERGE with a fixed ClientRequestToken gets the same FAILED query back', async () => {
      // Prepare
      f.athena.failNext(() => true, { reason: 'ICEBERG_COMMIT_ERROR: commit conflict', errorType: 233 });
      const definition = {
        StartAt: 'MergeGroup',
        States: {
          MergeGroup: {
            Type: 'Task',
            Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
            Parameters: mergeParameters,
            Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 2 }],
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MergeGroupFailed' }],
            End: true,
          },
          MergeGroupFailed: { Type: 'Pass', End: true },
        },
      };
      const machine = new StateMachine(definition as unknown as StateMachineDefinition, {
        validationOptions: { checkArn: true, checkPaths: true },
      });

      // Act
      const result = (await machine.run(
        {},
        {
          overrides: {
            taskResourceLocalHandlers: {
              MergeGroup: (input: unknown) =>
                f.athena.startQueryExecutionSync(input, { principal: 'role-sfn' }) as never,
            },
            retryIntervalOverrides: { MergeGroup: 0 },
          },
        },
      ).result) as { error?: { Error: string } };

      // Assess: three attempts, one query, never run.
      expect(result.error?.Error).toBe('States.TaskFailed');
      expect(f.recorder.calls.filter((c) => c.action === 'athena:StartQueryExecution')).toHaveLength(3);
      expect(f.athena.queries).toHaveLength(1);
      expect(f.executed).toEqual([]);
    });
  });
});

describe('AthenaFake: table locations', () => {
  it.each(['s3://lake-bucket/erasures/salt.json', 's3://lake-bucket/erasures', 's3://lake-bucket/erasures/*'])(
    'refuses a table whose LOCATION is a file or a pattern, not a folder with a trailing slash: %s',
    (location) => {
      expect(() => new AthenaFake({ executor: () => Promise.resolve({ columns: [], rows: [] }), tables: { 'eventlake.erasure_salt': { location, iceberg: false } } })).toThrow(
        /LOCATION must be a folder with a trailing slash/,
      );
    },
  );
});
