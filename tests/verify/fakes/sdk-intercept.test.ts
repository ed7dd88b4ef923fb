import { Readable } from 'node:stream';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketAclCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client } from '@smithy/core/client';
import { HttpResponse } from '@smithy/core/protocols';
import { S3ObjectStore } from '../../../src/adapters/aws/s3-object-store';
import { CallRecorder, UNATTRIBUTED } from '../../../verify/fakes/recorder';
import { S3Fake } from '../../../verify/fakes/s3-fake';
import { installSdkInterception, type SdkInterception } from '../../../verify/fakes/sdk-intercept';

/** A DynamoDB client whose "real endpoint" is an in-process HTTP handler: what pass-through reaches. */
function dynamoClientWithEndpoint(requests: string[]): DynamoDBClient {
  return new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: 'http://127.0.0.1:1',
    requestHandler: {
      handle: (request: { headers: Record<string, string> }) => {
        requests.push(request.headers['x-amz-target'] ?? '');
        return Promise.resolve({
          response: new HttpResponse({
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(JSON.stringify({ Item: { pk: { S: 'lease' } } }))]),
          }),
        });
      },
    } as never,
  });
}

describe('installSdkInterception', () => {
  let interception: SdkInterception | undefined;
  const originalSend = Object.getOwnPropertyDescriptor(Client.prototype, 'send')?.value as unknown;

  afterEach(() => {
    interception?.uninstall();
    interception = undefined;
  });

  it('routes the S3 calls of a client built as aws-deps builds it (new S3Client({})) to the S3 fake', async () => {
    // Prepare
    const recorder = new CallRecorder();
    const s3 = new S3Fake({ buckets: ['raw-bucket'] });
    interception = installSdkInterception({ recorder, handlers: { S3: s3 } });
    const store = new S3ObjectStore({ client: new S3Client({}), bucket: 'raw-bucket' });

    // Act
    await recorder.run('arn:aws:iam::123456789012:role/ingest', () => store.put('raw/a.json', '{"a":1}'));
    const body = await recorder.run('arn:aws:iam::123456789012:role/validate', () => store.get('raw/a.json'));

    // Assess
    expect(body.toString()).toBe('{"a":1}');
    expect(s3.objectsOf('raw-bucket').get('raw/a.json')?.toString()).toBe('{"a":1}');
    expect(recorder.calls).toEqual([
      {
        principal: 'arn:aws:iam::123456789012:role/ingest',
        service: 'S3',
        operation: 'PutObject',
        action: 's3:PutObject',
        resources: ['arn:aws:s3:::raw-bucket/raw/a.json'],
      },
      {
        principal: 'arn:aws:iam::123456789012:role/validate',
        service: 'S3',
        operation: 'GetObject',
        action: 's3:GetObject',
        resources: ['arn:aws:s3:::raw-bucket/raw/a.json'],
      },
    ]);
  });

  it('attributes interleaved concurrent calls to the principal of their own async context', async () => {
    // Prepare
    const recorder = new CallRecorder();
    const s3 = new S3Fake({ buckets: ['bucket-a', 'bucket-b'] });
    interception = installSdkInterception({ recorder, handlers: { S3: s3 } });
    const client = new S3Client({});
    const writer = (bucket: string) => async () => {
      for (let i = 0; i < 5; i += 1) {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: 'x' }));
        await Promise.resolve();
      }
    };

    // Act
    await Promise.all([
      recorder.run('role-a', writer('bucket-a')),
      recorder.run('role-b', writer('bucket-b')),
      writer('bucket-a')(),
    ]);

    // Assess: the three writers interleave, each call keeps its own principal.
    const byPrincipal = (principal: string) => recorder.callsBy(principal).map((c) => c.resources[0]);
    expect(byPrincipal('role-a')).toEqual([0, 1, 2, 3, 4].map((i) => `arn:aws:s3:::bucket-a/k${i}`));
    expect(byPrincipal('role-b')).toEqual([0, 1, 2, 3, 4].map((i) => `arn:aws:s3:::bucket-b/k${i}`));
    expect(byPrincipal(UNATTRIBUTED)).toHaveLength(5);
    expect(recorder.calls.map((c) => c.principal).slice(0, 3)).toEqual(['role-a', 'role-b', UNATTRIBUTED]);
  });

  it('passes a service without a handler (DynamoDB) through the original send to its endpoint, recording it', async () => {
    // Prepare
    const recorder = new CallRecorder({ account: '111122223333', region: 'eu-west-1' });
    interception = installSdkInterception({ recorder, handlers: {} });
    const requests: string[] = [];
    const client = dynamoClientWithEndpoint(requests);

    // Act
    const output = await recorder.run('role-state', () =>
      client.send(new GetItemCommand({ TableName: 'eventlake-state', Key: { pk: { S: 'lease' } } })),
    );

    // Assess: the full SDK stack ran (signed request, JSON protocol, parsed answer).
    expect(output.Item).toEqual({ pk: { S: 'lease' } });
    expect(requests).toEqual(['DynamoDB_20120810.GetItem']);
    expect(recorder.calls).toEqual([
      {
        principal: 'role-state',
        service: 'DynamoDB',
        operation: 'GetItem',
        action: 'dynamodb:GetItem',
        resources: ['arn:aws:dynamodb:eu-west-1:111122223333:table/eventlake-state'],
      },
    ]);
  });

  it('refuses an unhandled service that is not allowed to pass through, before it reaches the network', async () => {
    const recorder = new CallRecorder();
    interception = installSdkInterception({ recorder, handlers: {}, passThrough: ['DynamoDB'] });

    await expect(
      new AthenaClient({}).send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' })),
    ).rejects.toThrow(/no handler for Athena StartQueryExecution/);
  });

  it('refuses a command it has no IAM mapping for, without calling the handler or recording it', async () => {
    // Prepare
    const recorder = new CallRecorder();
    const handle = jest.fn(() => Promise.resolve({}));
    interception = installSdkInterception({ recorder, handlers: { S3: { handle } } });

    // Act
    const failure = new S3Client({}).send(new GetBucketAclCommand({ Bucket: 'b1' }));

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'UnmappedSdkCallError', operation: 'GetBucketAcl' });
    expect(handle).not.toHaveBeenCalled();
    expect(recorder.calls).toHaveLength(0);
  });

  it('supports the callback form of send', async () => {
    const recorder = new CallRecorder();
    interception = installSdkInterception({
      recorder,
      handlers: { S3: new S3Fake({ buckets: ['bucket-a'] }) },
    });

    const output = await new Promise((resolve, reject) => {
      new S3Client({}).send(
        new PutObjectCommand({ Bucket: 'bucket-a', Key: 'k', Body: 'x' }),
        (error: unknown, result: unknown) => (error ? reject(error as Error) : resolve(result)),
      );
    });

    expect(output).toMatchObject({ ETag: '"9dd4e461268c8034f5c8564e155c67a6"' });
  });

  it('restores the original send on uninstall, so nothing leaks into later tests', async () => {
    // Prepare
    const recorder = new CallRecorder();
    interception = installSdkInterception({
      recorder,
      handlers: { DynamoDB: { handle: () => Promise.resolve({ Item: {} }) } },
    });
    expect(Client.prototype.send).not.toBe(originalSend);
    expect(() => installSdkInterception({ recorder })).toThrow(/already installed/);

    // Act
    interception.uninstall();
    interception.uninstall();
    const requests: string[] = [];
    await dynamoClientWithEndpoint(requests).send(
      new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } }),
    );

    // Assess
    expect(Client.prototype.send).toBe(originalSend);
    expect(requests).toEqual(['DynamoDB_20120810.GetItem']);
    expect(recorder.calls).toHaveLength(0);
  });
});
