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

  it('an AWS error (here AccessDenied on StartExecution) still prints the report with --json, exit 1', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('User is not authorized to perform: states:StartExecution'), { name: 'AccessDeniedException' }));

    const result = await cli('backfill', '--state-machine-arn', ARN, '--from', '2024-04-01', '--to', '2024-04-02', '--region', 'eu-west-1', '--json');

    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ status: 'failed', mode: 'backfill', execution: 'backfill-2024-04-01-2024-04-02', error: 'AccessDeniedException', cause: 'User is not authorized to perform: states:StartExecution', lines_read: null });
    expect(result.err).toMatch(/run failed, nothing committed \(AccessDeniedException: User is not authorized/);
  });
});
