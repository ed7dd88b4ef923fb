import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { ErrorNames } from '../../src/errors';
import { KinesisProducer } from '../../src/cli/aws/kinesis-producer';

const kinesis = mockClient(KinesisClient);
const noSleep = () => Promise.resolve();

function producer(maxAttempts = 8) {
  return new KinesisProducer({ client: new KinesisClient({ region: 'us-east-1' }), streamName: 'events', sleep: noSleep, maxAttempts });
}

const recordsOf = (call: number) => (kinesis.commandCalls(PutRecordsCommand)[call]?.args[0].input.Records ?? []);

describe('KinesisProducer', () => {
  beforeEach(() => {
    kinesis.reset();
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({ FailedRecordCount: 0, Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })) }));
  });

  it('sends newline-terminated records to the named stream with a partition key per record', async () => {
    const p = producer();
    await p.send('{"a":1}');
    await p.flush();

    const input = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(input).toEqual({ StreamName: 'events', Records: [{ Data: Buffer.from('{"a":1}\n'), PartitionKey: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown }] });
  });

  it('batches at most 500 records per PutRecords', async () => {
    const p = producer();
    for (let i = 0; i < 1201; i++) await p.send(`{"i":${i}}`);
    await p.flush();

    expect(kinesis.commandCalls(PutRecordsCommand).map((_c, i) => recordsOf(i).length)).toEqual([500, 500, 201]);
    expect(p.stats).toMatchObject({ records: 1201, calls: 3, retriedRecords: 0 });
  });

  it('keeps each PutRecords under 5 MiB', async () => {
    const p = producer();
    const big = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 60; i++) await p.send(big);
    await p.flush();

    const sizes = kinesis.commandCalls(PutRecordsCommand).map((_c, i) => recordsOf(i).reduce((s, r) => s + (r.Data?.length ?? 0) + (r.PartitionKey?.length ?? 0), 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(recordsOf(0).length).toBe(25);
  });

  it('sends exactly the failed records again, then succeeds', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({ FailedRecordCount: 1, Records: [{ SequenceNumber: '1' }, { ErrorCode: 'ProvisionedThroughputExceededException' }, { SequenceNumber: '3' }] })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '4' }] });
    const p = producer();
    for (const line of ['{"n":1}', '{"n":2}', '{"n":3}']) await p.send(line);
    await p.flush();

    expect(recordsOf(1).map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(['{"n":2}\n']);
    expect(p.stats).toMatchObject({ records: 3, retriedRecords: 1 });
  });

  it('gives up after the attempt bound with a retryable error naming the count', async () => {
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure' }] });
    const p = producer(3);
    await p.send('{"n":1}');

    await expect(p.flush()).rejects.toMatchObject({ name: ErrorNames.Transient, message: expect.stringMatching(/1 records not accepted by events after 3 attempts \(InternalFailure\)/) as unknown });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(3);
  });

  it('refuses a record over the 1 MiB Kinesis limit with a clear reason', async () => {
    await expect(producer().send('x'.repeat(1024 * 1024))).rejects.toThrow(/exceeds Kinesis's 1 MiB record limit/);
  });
});
