import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ObjectStore } from '../../../src/adapters/aws/s3-object-store';
import { ErrorNames } from '../../../src/errors';
import type { ObjectInfo } from '../../../src/ports/object-store';
import { objectStoreContract } from '../../ports/object-store.contract';
import { S3Fake } from '../../../verify/fakes/s3-fake';
import { bindS3Fake, fakeS3, noSuchKey, notFound, s3Error, sdkBody } from './s3-fake';

// Pages of 3 keys, so the contract's listings cross ListObjectsV2 pages.
objectStoreContract('S3ObjectStore (in-memory S3 fake)', () => {
  const client = new S3Client({ region: 'eu-west-1' });
  const fake = fakeS3(client, 'lake-bucket', 3);
  return Promise.resolve({
    store: new S3ObjectStore({ client, bucket: 'lake-bucket' }),
    cleanup: () => Promise.resolve(fake.mock.restore()),
  });
});

// The same fake with its folder backend (objects as files, as the offline proof's DuckDB reads them).
objectStoreContract('S3ObjectStore (S3 fake, folder backend)', async () => {
  const root = await mkdtemp(join(tmpdir(), 's3-fake-'));
  const s3 = new S3Fake({ buckets: ['lake-bucket'], root, maxKeysPerPage: 3 });
  const client = new S3Client({ region: 'eu-west-1' });
  const mock = bindS3Fake(client, s3);
  return {
    store: new S3ObjectStore({ client, bucket: 'lake-bucket', keyPrefix: 'lake/' }),
    cleanup: async () => {
      mock.restore();
      await rm(root, { recursive: true, force: true });
    },
  };
});

const BUCKET = 'raw-bucket';
const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });

async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const all: ObjectInfo[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('S3ObjectStore', () => {
  let store: S3ObjectStore;

  beforeEach(() => {
    s3.reset();
    store = new S3ObjectStore({ client, bucket: BUCKET });
  });

  describe('construction', () => {
    it('rejects a bucket name S3 would refuse', () => {
      expect(() => new S3ObjectStore({ client, bucket: 'Raw_Bucket' })).toThrow(
        expect.objectContaining({ name: ErrorNames.InvalidInput }) as Error,
      );
    });

    it('rejects a key prefix without a trailing "/"', () => {
      expect(() => new S3ObjectStore({ client, bucket: BUCKET, keyPrefix: 'lake' })).toThrow(
        /must end with "\/"/,
      );
    });
  });

  describe('list', () => {
    it('follows ContinuationToken across pages, keys in S3 order with sizes', async () => {
      // Prepare
      s3.on(ListObjectsV2Command)
        .resolvesOnce({
          Contents: [
            { Key: 'raw/2024/04/07/17/a.gz', Size: 10 },
            { Key: 'raw/2024/04/07/17/b.gz', Size: 20 },
          ],
          IsTruncated: true,
          NextContinuationToken: 'token-1',
        })
        .resolvesOnce({ Contents: [{ Key: 'raw/2024/04/07/18/c.gz', Size: 0 }], IsTruncated: false });

      // Act
      const listed = await collect(store.list('raw/2024/04/07/'));

      // Assess
      expect(listed).toEqual([
        { key: 'raw/2024/04/07/17/a.gz', sizeBytes: 10 },
        { key: 'raw/2024/04/07/17/b.gz', sizeBytes: 20 },
        { key: 'raw/2024/04/07/18/c.gz', sizeBytes: 0 },
      ]);
      const calls = s3.commandCalls(ListObjectsV2Command);
      expect(calls).toHaveLength(2);
      expect(calls[0]?.args[0].input).toEqual({ Bucket: BUCKET, Prefix: 'raw/2024/04/07/' });
      expect(calls[1]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Prefix: 'raw/2024/04/07/',
        ContinuationToken: 'token-1',
      });
    });

    it('yields nothing for an empty answer', async () => {
      s3.on(ListObjectsV2Command).resolves({ KeyCount: 0, IsTruncated: false });

      expect(await collect(store.list('curated/'))).toEqual([]);
    });

    it('lists under the key prefix and answers keys relative to it', async () => {
      // Prepare
      const prefixed = new S3ObjectStore({ client, bucket: BUCKET, keyPrefix: 'lake/' });
      s3.on(ListObjectsV2Command).resolves({
        Contents: [{ Key: 'lake/raw/x', Size: 1 }],
        IsTruncated: false,
      });

      // Act
      const listed = await collect(prefixed.list('raw/'));

      // Assess
      expect(listed).toEqual([{ key: 'raw/x', sizeBytes: 1 }]);
      expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Prefix: 'lake/raw/',
      });
    });

    it('refuses a prefix that climbs out of the store without calling S3', async () => {
      await expect(collect(store.list('../x'))).rejects.toMatchObject({ name: ErrorNames.InvalidInput });

      expect(s3.calls()).toHaveLength(0);
    });
  });

  describe('get and getStream', () => {
    it('reads the whole body into a Buffer', async () => {
      // Prepare
      s3.on(GetObjectCommand).resolves({ Body: sdkBody(Buffer.from([0, 1, 255])) });

      // Act
      const body = await store.get('raw/a.gz');

      // Assess
      expect(body).toEqual(Buffer.from([0, 1, 255]));
      expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'raw/a.gz',
      });
    });

    it('maps NoSuchKey to ObjectNotFoundError naming the key', async () => {
      s3.on(GetObjectCommand).rejects(noSuchKey());

      await expect(store.get('raw/missing.gz')).rejects.toMatchObject({
        name: ErrorNames.ObjectNotFound,
        key: 'raw/missing.gz',
      });
    });

    it('hands back the SDK body stream itself, unbuffered', async () => {
      // Prepare
      const body = sdkBody(Buffer.from('line\n'));
      s3.on(GetObjectCommand).resolves({ Body: body });

      // Act
      const stream = await store.getStream('raw/a.gz');

      // Assess
      expect(stream).toBe(body);
      expect(stream).toBeInstanceOf(Readable);
      expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'raw/a.gz',
      });
    });

    it('rejects getStream of a missing key before any stream exists', async () => {
      s3.on(GetObjectCommand).rejects(noSuchKey());

      await expect(store.getStream('raw/missing.gz')).rejects.toMatchObject({
        name: ErrorNames.ObjectNotFound,
      });
    });
  });

  describe('put', () => {
    it('sends a string body as UTF-8 bytes in one PutObject', async () => {
      // Prepare
      s3.on(PutObjectCommand).resolves({});

      // Act
      await store.put('runs/b1.json', 'caf\u00e9');

      // Assess
      expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'runs/b1.json',
        Body: Buffer.from('caf\u00e9', 'utf8'),
      });
    });

    it('puts under the key prefix', async () => {
      s3.on(PutObjectCommand).resolves({});

      await new S3ObjectStore({ client, bucket: BUCKET, keyPrefix: 'lake/' }).put('raw/x', Buffer.from('x'));

      expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'lake/raw/x',
        Body: Buffer.from('x'),
      });
    });

    it.each([
      ['SlowDown', 503],
      ['ServiceUnavailable', 503],
      ['InternalError', 500],
    ])('maps %s (%i) to TransientError with the SDK error as cause', async (code, status) => {
      // Prepare
      const sdkError = s3Error(code, status);
      s3.on(PutObjectCommand).rejects(sdkError);

      // Act
      const failure = await store.put('staging/x', 'x').catch((error: unknown) => error);

      // Assess
      expect(failure).toMatchObject({ name: ErrorNames.Transient, cause: sdkError });
      expect((failure as Error).message).toContain('staging/x');
    });

    it('passes other errors through unchanged (AccessDenied is not transient)', async () => {
      const denied = s3Error('AccessDenied', 403);
      s3.on(PutObjectCommand).rejects(denied);

      await expect(store.put('staging/x', 'x')).rejects.toBe(denied);
    });

    it.each([
      ['an empty key', ''],
      ['an absolute key', '/raw/x'],
      ['a ".." segment', 'raw/../x'],
      ['an empty segment', 'raw//x'],
      ['a backslash', 'raw\\x'],
      ['a NUL character', 'raw/x\u0000'],
      ['the reserved temporary prefix', 'raw/.eventlake-tmp-x'],
      ['more than 1024 bytes', `raw/${'\u00e9'.repeat(511)}`],
    ])('rejects %s with InvalidInputError and sends nothing', async (_what, key) => {
      await expect(store.put(key, 'x')).rejects.toMatchObject({ name: ErrorNames.InvalidInput });

      expect(s3.calls()).toHaveLength(0);
    });
  });

  describe('deleteMany', () => {
    it('deletes in DeleteObjects requests of at most 1,000 keys, under the key prefix, quietly', async () => {
      s3.on(DeleteObjectsCommand).resolves({});
      const store = new S3ObjectStore({ client, bucket: BUCKET, keyPrefix: 'lake/' });
      const keys = Array.from({ length: 2_500 }, (_, i) => `staging/batches/b1/part-${i}.ndjson`);
      await store.deleteMany(keys);
      const calls = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => c.Delete?.Objects?.length)).toEqual([1000, 1000, 500]);
      expect(calls.every((c) => c.Bucket === BUCKET && c.Delete?.Quiet === true)).toBe(true);
      expect(calls.flatMap((c) => c.Delete?.Objects?.map((o) => o.Key))).toEqual(keys.map((k) => `lake/${k}`));
    });

    it('fails, naming a key, when S3 reports keys it could not delete', async () => {
      s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'staging/batches/b1/x', Code: 'AccessDenied', Message: 'Access Denied' }] });
      const store = new S3ObjectStore({ client, bucket: BUCKET });
      await expect(store.deleteMany(['staging/batches/b1/x'])).rejects.toThrow(/1 of 1 keys not deleted, e\.g\. staging\/batches\/b1\/x: AccessDenied/);
    });

    it('refuses an invalid key before calling S3', async () => {
      const store = new S3ObjectStore({ client, bucket: BUCKET });
      await expect(store.deleteMany(['ok', '../x'])).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    });
  });

  describe('exists', () => {
    it('is true when HeadObject answers', async () => {
      s3.on(HeadObjectCommand).resolves({ ContentLength: 3 });

      expect(await store.exists('raw/a')).toBe(true);
      expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: BUCKET, Key: 'raw/a' });
    });

    it('is false on NotFound', async () => {
      s3.on(HeadObjectCommand).rejects(notFound());

      expect(await store.exists('raw/a')).toBe(false);
    });

    it('maps a throttled HeadObject to TransientError, never to false', async () => {
      s3.on(HeadObjectCommand).rejects(s3Error('SlowDown', 503));

      await expect(store.exists('raw/a')).rejects.toMatchObject({ name: ErrorNames.Transient });
    });
  });

  describe('delete and move', () => {
    it('deletes with DeleteObject', async () => {
      s3.on(DeleteObjectCommand).resolves({});

      await store.delete('staging/x');

      expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'staging/x',
      });
    });

    it('moves by CopyObject with a URL-encoded CopySource, then DeleteObject of the source', async () => {
      // Prepare
      s3.on(CopyObjectCommand).resolves({}).on(DeleteObjectCommand).resolves({});

      // Act
      await store.move(
        'curated/_pending/b1/event_type=lesson/na\u00efve 100%.parquet',
        'curated/events/x.parquet',
      );

      // Assess
      expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'curated/events/x.parquet',
        CopySource: `${BUCKET}/curated/_pending/b1/event_type%3Dlesson/na%C3%AFve%20100%25.parquet`,
      });
      expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'curated/_pending/b1/event_type=lesson/na\u00efve 100%.parquet',
      });
      expect(s3.calls().map((call) => call.args[0].constructor.name)).toEqual([
        'CopyObjectCommand',
        'DeleteObjectCommand',
      ]);
    });

    it('maps a missing source to ObjectNotFoundError naming the source, and deletes nothing', async () => {
      s3.on(CopyObjectCommand).rejects(noSuchKey());

      await expect(store.move('staging/missing', 'staging/y')).rejects.toMatchObject({
        name: ErrorNames.ObjectNotFound,
        key: 'staging/missing',
      });
      expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    });

    it('moves a key onto itself by checking it exists, never copying', async () => {
      s3.on(HeadObjectCommand).resolves({});

      await store.move('staging/x', 'staging/x');

      expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
      expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    });
  });

  describe('uri', () => {
    it('is s3://bucket/<keyPrefix><key>, for objects, folders and the root', () => {
      const prefixed = new S3ObjectStore({ client, bucket: BUCKET, keyPrefix: 'lake/' });

      expect(store.uri('curated/events/a.parquet')).toBe(`s3://${BUCKET}/curated/events/a.parquet`);
      expect(prefixed.uri('curated/events/')).toBe(`s3://${BUCKET}/lake/curated/events/`);
      expect(prefixed.uri('')).toBe(`s3://${BUCKET}/lake/`);
    });

    it('rejects a key that climbs out of the store', () => {
      expect(() => store.uri('../other-bucket/x')).toThrow(/"\." or "\.\." segments/);
    });
  });
});
