import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { S3Fake } from '../../../verify/fakes/s3-fake';

// The one S3 fake lives in verify/fakes/s3-fake.ts (memory and folder backends, S3's documented rules);
// this file only binds it to one mocked client for the adapter tests.
export { noSuchKey, notFound, s3Error, sdkBody } from '../../../verify/fakes/s3-fake';

export interface FakeS3 {
  readonly mock: AwsClientStub<S3Client>;
  /** The bucket's objects (memory backend), live: tests may inspect or seed it. */
  readonly objects: Map<string, Buffer>;
}

/**
 * One in-memory S3 bucket behind a mocked client: every call S3ObjectStore makes is answered by the
 * shared S3 fake, in pages of at most `pageSize` keys (S3 may answer fewer than MaxKeys).
 */
export function fakeS3(client: S3Client, bucket: string, pageSize = 1000): FakeS3 {
  const s3 = new S3Fake({ buckets: [bucket], maxKeysPerPage: pageSize });
  return { mock: bindS3Fake(client, s3), objects: s3.objectsOf(bucket) };
}

/** Answers every S3 call on `client` (an instance mock) from `s3`. */
export function bindS3Fake(client: S3Client, s3: S3Fake): AwsClientStub<S3Client> {
  const mock = mockClient(client);
  const commands = [
    ListObjectsV2Command,
    GetObjectCommand,
    HeadObjectCommand,
    PutObjectCommand,
    DeleteObjectCommand,
    DeleteObjectsCommand,
    CopyObjectCommand,
  ];
  for (const command of commands) {
    const operation = command.name.replace(/Command$/, '');
    // The command classes differ in input type; each one is answered from its own input.
    (
      mock.on(command as typeof GetObjectCommand) as { callsFake(fn: (input: object) => unknown): unknown }
    ).callsFake((input: object) => s3.send(operation, input as Record<string, unknown>));
  }
  return mock;
}
