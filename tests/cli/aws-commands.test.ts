import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { RUN_REPORT_KEYS } from '../../src/cli/run-report';

const kinesis = mockClient(KinesisClient);
const sfn = mockClient(SFNClient);
const athena = mockClient(AthenaClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:eventlake-dev-microbatch';

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('CLI against AWS (mocked clients, never the network)', () => {
  beforeEach(() => {
    kinesis.reset();
    sfn.reset();
    athena.reset();
  });

  it('query --workgroup runs the SQL through Athena in that workgroup and prints the rows', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: 'event_type', Type: 'varchar' }, { Name: 'n', Type: 'bigint' }] },
        Rows: [{ Data: [{ VarCharValue: 'event_type' }, { VarCharValue: 'n' }] }, { Data: [{ VarCharValue: 'lesson' }, { VarCharValue: '42' }] }],
      },
    });

    const result = await cli('query', 'SELECT event_type, count(*) AS n FROM events GROUP BY 1', '--workgroup', 'eventlake-dev', '--database', 'eventlake_dev', '--format', 'json', '--region', 'eu-west-1');

    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual([{ event_type: 'lesson', n: 42 }]);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toMatchObject({
      QueryString: 'SELECT event_type, count(*) AS n FROM events GROUP BY 1',
      WorkGroup: 'eventlake-dev',
      QueryExecutionContext: { Database: 'eventlake_dev' },
    });
  });

  it('produce sends every generated line as a record and reports the counts', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({ FailedRecordCount: 0, Records: input.Records.map(() => ({ SequenceNumber: '1' })) }));

    const result = await cli('produce', '--stream', 'eventlake-dev-events', '--events', '800', '--region', 'eu-west-1', '--start', '2024-04-07T00:00:00Z', '--hours', '1');

    expect(result.code).toBe(0);
    const summary = JSON.parse(result.out) as { lines: number; records_sent: number };
    expect(summary.records_sent).toBe(summary.lines);
    const sent = kinesis.commandCalls(PutRecordsCommand).reduce((n, c) => n + (c.args[0].input.Records?.length ?? 0), 0);
    expect(sent).toBe(summary.lines);
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamName).toBe('eventlake-dev-events');
  });

  it('produce without --stream is a usage error', async () => {
    const result = await cli('produce', '--events', '10');

    expect(result.code).toBe(2);
    expect(result.err).toMatch(/required option '--stream <name>' not specified/);
  });

  it('backfill --state-machine-arn starts a deterministically named execution and exits 0 on success', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace('stateMachine', 'execution')}:x`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ status: 'committed', batch_id: 'b', inserted: 3 }) } as never);

    const result = await cli('backfill', '--state-machine-arn', ARN, '--from', '2024-04-01', '--to', '2024-04-02', '--json', '--region', 'eu-west-1');

    expect(result.code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'backfill-2024-04-01-2024-04-02',
      input: '{"mode":"backfill","from":"2024-04-01","to":"2024-04-02"}',
    });
    expect(JSON.parse(result.out)).toMatchObject({ status: 'committed', inserted: 3 });
  });

  it('replay --state-machine-arn starts a manual execution with the replay input, as the local runtime gets it', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace('stateMachine', 'execution')}:x`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ status: 'committed', mode: 'replay', inserted: 2 }) } as never);

    const result = await cli('replay', '--state-machine-arn', ARN, '--reason', 'missing_field', '--transform', 'rename-event-uid', '--json', '--region', 'eu-west-1');

    expect(result.code).toBe(0);
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.name).toMatch(/^replay-\d{8}T\d{4}$/);
    expect(JSON.parse(start?.input ?? '')).toEqual({ mode: 'replay', reason: 'missing_field', transform: 'rename-event-uid' });
    expect(JSON.parse(result.out)).toMatchObject({ status: 'committed', mode: 'replay', inserted: 2 });
  });

  it('run --state-machine-arn exits 1 with the error name when the execution failed', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace('stateMachine', 'execution')}:x`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'EventLake.ConservationViolated', cause: 'does not balance' } as never);

    const result = await cli('run', '--state-machine-arn', ARN, '--region', 'eu-west-1');

    expect(result.code).toBe(1);
    expect(result.err).toMatch(/run failed, nothing committed \(EventLake\.ConservationViolated: does not balance\)/);
  });

  it('run --state-machine-arn --json: a failed execution prints the one report shape, counts null', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace('stateMachine', 'execution')}:x`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'EventLake.ConservationViolated', cause: 'does not balance' } as never);

    const result = await cli('run', '--state-machine-arn', ARN, '--region', 'eu-west-1', '--json');

    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual([...RUN_REPORT_KEYS].sort());
    expect(report).toMatchObject({ status: 'failed', mode: 'scheduled', error: 'EventLake.ConservationViolated', cause: 'does not balance', inserted: null, batch_id: null });
  });

  describe('forget --state-machine-arn (the forget state machine)', () => {
    const FORGET_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:eventlake-dev-forget';
    const USER = '0C3B3F6E-1D2A-4B5C-8D9E-0F1A2B3C4D5E';
    beforeEach(() => {
      sfn.on(StartExecutionCommand).resolves({ executionArn: `${FORGET_ARN.replace('stateMachine', 'execution')}:x`, startDate: new Date() });
    });

    it('starts an execution with the user as input, named without the id, and prints the summary', async () => {
      const summary = { status: 'forgotten', user_hash: 'ab'.repeat(32), removed: { curated_rows: 3 }, requested_at: 't', completed_at: 't', error: null };
      sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify(summary) } as never);

      const result = await cli('forget', '--state-machine-arn', FORGET_ARN, '--user', USER, '--json', '--region', 'eu-west-1');

      expect(result.code).toBe(0);
      const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
      expect(JSON.parse(start?.input ?? '')).toEqual({ user: USER.toLowerCase() });
      expect(start?.name).toMatch(/^forget-\d{8}T\d{4}-[0-9a-f]{8}$/);
      expect(start?.name?.toLowerCase()).not.toContain(USER.toLowerCase().slice(0, 8));
      expect(JSON.parse(result.out)).toMatchObject({ status: 'forgotten', removed: { curated_rows: 3 } });
    });

    it('exit 3 when a run held the lease (the execution output is the lease outcome only)', async () => {
      sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ acquired: false, owner: 'x', holder: 'manual-1' }) } as never);

      const result = await cli('forget', '--state-machine-arn', FORGET_ARN, '--user', USER, '--region', 'eu-west-1');

      expect(result.code).toBe(3);
      expect(result.err).toMatch(/forget skipped: another run holds the lease \(manual-1\); nothing was removed/);
    });

    it('exit 1 with the error when the execution failed', async () => {
      sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'EventLake.InvalidInput', cause: 'batch b (scheduled) is pending' } as never);

      const result = await cli('forget', '--state-machine-arn', FORGET_ARN, '--user', USER, '--region', 'eu-west-1');

      expect(result.code).toBe(1);
      expect(result.err).toMatch(/forget failed \(EventLake\.InvalidInput: batch b \(scheduled\) is pending\)/);
    });
  });

  it('an AWS error (here AccessDenied on StartExecution) still prints the report with --json, exit 1', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('User is not authorized to perform: states:StartExecution'), { name: 'AccessDeniedException' }));

    const result = await cli('backfill', '--state-machine-arn', ARN, '--from', '2024-04-01', '--to', '2024-04-02', '--region', 'eu-west-1', '--json');

    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ status: 'failed', mode: 'backfill', execution: 'backfill-2024-04-01-2024-04-02', error: 'AccessDeniedException', cause: 'User is not authorized to perform: states:StartExecution', lines_read: null });
    expect(result.err).toMatch(/run failed, nothing committed \(AccessDeniedException: User is not authorized/);
  });

  describe('region, profile and ARN, as the AWS CLI has them (checked before any call)', () => {
    const saved = { ...process.env };
    beforeEach(() => {
      for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[name];
      process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
      sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace('stateMachine', 'execution')}:x`, startDate: new Date() });
      sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ status: 'nothing_to_do', batch_id: '' }) } as never);
    });
    afterEach(() => {
      process.env = { ...saved };
    });

    const clientOf = async () => {
      const client = sfn.commandCalls(StartExecutionCommand)[0]?.thisValue as SFNClient;
      return { region: await client.config.region(), profile: (client.config as { profile?: string }).profile };
    };

    it('no region anywhere: exit 2 with what to set, nothing sent', async () => {
      const result = await cli('run', '--state-machine-arn', ARN);

      expect(result.code).toBe(2);
      expect(result.err).toMatch(/no AWS region: pass --region, set AWS_REGION \(or AWS_DEFAULT_REGION\), or set region in the default profile of ~\/\.aws\/config/);
      expect(sfn.calls()).toHaveLength(0);
    });

    it('AWS_DEFAULT_REGION is used when AWS_REGION is not set; --region wins over both', async () => {
      process.env.AWS_DEFAULT_REGION = 'eu-west-1';
      expect((await cli('run', '--state-machine-arn', ARN)).code).toBe(0);
      expect((await clientOf()).region).toBe('eu-west-1');

      sfn.resetHistory();
      process.env.AWS_REGION = 'us-east-1';
      const mismatch = await cli('run', '--state-machine-arn', ARN);
      expect(mismatch.code).toBe(2);
      expect(mismatch.err).toMatch(/--state-machine-arn is in eu-west-1 but the region is us-east-1: pass --region eu-west-1/);
      expect((await cli('run', '--state-machine-arn', ARN, '--region', 'eu-west-1')).code).toBe(0);
      expect((await clientOf()).region).toBe('eu-west-1');
    });

    it('--profile names the profile the clients use', async () => {
      expect((await cli('run', '--state-machine-arn', ARN, '--region', 'eu-west-1', '--profile', 'analytics')).code).toBe(0);
      expect((await clientOf()).profile).toBe('analytics');
    });

    it.each(['arn:aws:states:eu-west-1:123456789012:execution:x:y', 'eventlake-dev-microbatch', 'arn:aws:states:eu-west-1:1234:stateMachine:x'])('a malformed state machine ARN (%s) is a usage error', async (arn) => {
      const result = await cli('run', '--state-machine-arn', arn, '--region', 'eu-west-1');

      expect(result.code).toBe(2);
      expect(result.err).toMatch(/argument '.*' is invalid\. expected a state machine ARN, e\.g\. arn:aws:states:/);
      expect(sfn.calls()).toHaveLength(0);
    });
  });
});
