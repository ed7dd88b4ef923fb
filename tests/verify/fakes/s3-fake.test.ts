import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3Fake } from '../../../verify/fakes/s3-fake';

interface ListPage {
  Contents?: { Key: string; Size: number }[];
  CommonPrefixes?: { Prefix: string }[];
  KeyCount: number;
  IsTruncated: boolean;
  NextContinuationToken?: string;
  MaxKeys: number;
}

type Backend = 'memory' | 'folder';

function makeFake(backend: Backend, roots: string[], options: { maxKeysPerPage?: number } = {}): S3Fake {
  if (backend === 'memory') return new S3Fake({ buckets: ['lake-bucket', 'other-bucket'], ...options });
  const root = mkdtempSync(join(tmpdir(), 's3-fake-test-'));
  roots.push(root);
  return new S3Fake({ buckets: ['lake-bucket', 'other-bucket'], root, ...options });
}

describe.each<Backend>(['memory', 'folder'])('S3Fake (%s backend)', (backend) => {
  const roots: string[] = [];
  let s3: S3Fake;

  beforeEach(() => {
    s3 = makeFake(backend, roots);
  });

  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  const put = (key: string, body: string | Buffer = `body of ${key}`, bucket = 'lake-bucket') =>
    s3.send('PutObject', { Bucket: bucket, Key: key, Body: body });
  const list = (input: Record<string, unknown> = {}) =>
    s3.send('ListObjectsV2', { Bucket: 'lake-bucket', ...input }) as Promise<ListPage>;
  const keysOf = (page: ListPage) => (page.Contents ?? []).map((c) => c.Key);

  describe('ListObjectsV2', () => {
    it('lists keys in ascending UTF-8 byte order, not UTF-16 order', async () => {
      // '\uff61' is EF BD A1 in UTF-8 and sorts before the emoji (F0 ...); in UTF-16 the emoji's surrogate comes first.
      for (const key of ['k/\u{1F600}', 'k/\uff61', 'k/b', 'k/a/x', 'k/a-x']) await put(key);

      expect(keysOf(await list({ Prefix: 'k/' }))).toEqual([
        'k/a-x',
        'k/a/x',
        'k/b',
        'k/\uff61',
        'k/\u{1F600}',
      ]);
    });

    it('answers sizes, KeyCount and IsTruncated for one page', async () => {
      await put('s/a', 'abc');
      await put('s/b', '\u00e9');

      const page = await list({ Prefix: 's/' });

      expect(page).toMatchObject({ KeyCount: 2, IsTruncated: false, MaxKeys: 1000 });
      expect(page.Contents?.map(({ Key, Size }) => ({ Key, Size }))).toEqual([
        { Key: 's/a', Size: 3 },
        { Key: 's/b', Size: 2 },
      ]);
      expect(page.NextContinuationToken).toBeUndefined();
    });

    it('pages with MaxKeys and ContinuationToken, never repeating or skipping a key', async () => {
      const keys = Array.from({ length: 7 }, (_, i) => `p/${i}`);
      for (const key of keys) await put(key);

      const seen: string[] = [];
      let token: string | undefined;
      const pages: number[] = [];
      do {
        const page = await list({
          Prefix: 'p/',
          MaxKeys: 3,
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        });
        pages.push(page.KeyCount);
        seen.push(...keysOf(page));
        expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
        token = page.NextContinuationToken;
      } while (token !== undefined);

      expect(seen).toEqual(keys);
      expect(pages).toEqual([3, 3, 1]);
    });

    it('starts after StartAfter', async () => {
      for (const key of ['a', 'b', 'c']) await put(`t/${key}`);

      expect(keysOf(await list({ StartAfter: 't/a' }))).toEqual(['t/b', 't/c']);
    });

    it('rolls keys up into CommonPrefixes with a Delimiter, each counting once against MaxKeys', async () => {
      for (const key of ['d/1/a', 'd/1/b', 'd/2/a', 'd/top', 'd/3/a']) await put(key);

      const first = await list({ Prefix: 'd/', Delimiter: '/', MaxKeys: 2 });
      const second = await list({
        Prefix: 'd/',
        Delimiter: '/',
        MaxKeys: 2,
        ContinuationToken: first.NextContinuationToken,
      });

      expect(first).toMatchObject({
        KeyCount: 2,
        IsTruncated: true,
        CommonPrefixes: [{ Prefix: 'd/1/' }, { Prefix: 'd/2/' }],
      });
      expect(first.Contents).toBeUndefined();
      expect(second).toMatchObject({ KeyCount: 2, IsTruncated: false, CommonPrefixes: [{ Prefix: 'd/3/' }] });
      expect(keysOf(second)).toEqual(['d/top']);
    });

    it('refuses a continuation token it did not issue', async () => {
      await expect(list({ ContinuationToken: 'not-a-token' })).rejects.toMatchObject({
        name: 'InvalidArgument',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('answers NoSuchBucket for a bucket that does not exist', async () => {
      await expect(s3.send('ListObjectsV2', { Bucket: 'missing-bucket' })).rejects.toMatchObject({
        name: 'NoSuchBucket',
        $metadata: { httpStatusCode: 404 },
      });
    });
  });

  describe('objects', () => {
    it('answers GetObject with the SDK Node body: a Readable whose transforms run once', async () => {
      await put('o/x', Buffer.from([0, 1, 255]));

      const output = (await s3.send('GetObject', { Bucket: 'lake-bucket', Key: 'o/x' })) as {
        Body: Readable & { transformToByteArray(): Promise<Uint8Array> };
        ContentLength: number;
      };

      expect(output.Body).toBeInstanceOf(Readable);
      expect(output.ContentLength).toBe(3);
      expect(Buffer.from(await output.Body.transformToByteArray())).toEqual(Buffer.from([0, 1, 255]));
      await expect(output.Body.transformToByteArray()).rejects.toThrow(/already been transformed/);
    });

    it('stores a streamed PutObject body', async () => {
      await s3.send('PutObject', {
        Bucket: 'lake-bucket',
        Key: 'o/s',
        Body: Readable.from([Buffer.from('ab'), Buffer.from('c')]),
      });

      const output = (await s3.send('GetObject', { Bucket: 'lake-bucket', Key: 'o/s' })) as {
        Body: { transformToString(): Promise<string> };
      };
      expect(await output.Body.transformToString()).toBe('abc');
    });

    it('answers NoSuchKey (404) for GetObject and NotFound (404) for HeadObject of a missing key', async () => {
      await expect(s3.send('GetObject', { Bucket: 'lake-bucket', Key: 'nope' })).rejects.toMatchObject({
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
      await expect(s3.send('HeadObject', { Bucket: 'lake-bucket', Key: 'nope' })).rejects.toMatchObject({
        name: 'NotFound',
        $metadata: { httpStatusCode: 404 },
      });
    });

    it('refuses a key over 1,024 UTF-8 bytes with KeyTooLongError, and takes one of exactly 1,024', async () => {
      const segment = '\u00e9'.repeat(100); // 200 bytes: a file name on every file system
      const exact = `${[segment, segment, segment, segment, segment].join('/')}/${'x'.repeat(19)}`; // 5*201 + 19
      expect(Buffer.byteLength(exact)).toBe(1024);

      await put(exact, 'fits');
      await expect(put(`${exact}y`)).rejects.toMatchObject({
        name: 'KeyTooLongError',
        message: 'Your key is too long',
        $metadata: { httpStatusCode: 400 },
      });
      expect(keysOf(await list())).toEqual([exact]);
    });

    it('deletes a missing key without error (204)', async () => {
      await expect(
        s3.send('DeleteObject', { Bucket: 'lake-bucket', Key: 'never/was' }),
      ).resolves.toMatchObject({
        $metadata: { httpStatusCode: 204 },
      });
    });

    it('copies from a URL-encoded CopySource, across buckets', async () => {
      await put('src/event_type=lesson/na\u00efve 100%.parquet', 'payload');

      await s3.send('CopyObject', {
        Bucket: 'other-bucket',
        Key: 'dst/x.parquet',
        CopySource: 'lake-bucket/src/event_type%3Dlesson/na%C3%AFve%20100%25.parquet',
      });

      const output = (await s3.send('GetObject', { Bucket: 'other-bucket', Key: 'dst/x.parquet' })) as {
        Body: { transformToString(): Promise<string> };
      };
      expect(await output.Body.transformToString()).toBe('payload');
    });

    it('refuses a copy onto itself (InvalidRequest) and a missing source (NoSuchKey)', async () => {
      await put('c/x');

      await expect(
        s3.send('CopyObject', { Bucket: 'lake-bucket', Key: 'c/x', CopySource: 'lake-bucket/c/x' }),
      ).rejects.toMatchObject({
        name: 'InvalidRequest',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(
        s3.send('CopyObject', { Bucket: 'lake-bucket', Key: 'c/y', CopySource: 'lake-bucket/c/none' }),
      ).rejects.toMatchObject({
        name: 'NoSuchKey',
      });
    });

    it('refuses a request field it does not model rather than ignore it', async () => {
      await put('r/x');

      await expect(
        s3.send('GetObject', { Bucket: 'lake-bucket', Key: 'r/x', Range: 'bytes=0-1' }),
      ).rejects.toMatchObject({
        name: 'FakeLimitationError',
      });
      await expect(
        s3.send('CreateMultipartUpload', { Bucket: 'lake-bucket', Key: 'r/y' }),
      ).rejects.toMatchObject({
        name: 'FakeLimitationError',
      });
    });

    it('deletes up to 1000 keys with DeleteObjects, reporting missing ones as deleted', async () => {
      await put('m/a');

      const output = await s3.send('DeleteObjects', {
        Bucket: 'lake-bucket',
        Delete: { Objects: [{ Key: 'm/a' }, { Key: 'm/none' }] },
      });

      expect(output).toMatchObject({ Deleted: [{ Key: 'm/a' }, { Key: 'm/none' }] });
      expect(keysOf(await list({ Prefix: 'm/' }))).toEqual([]);
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ Key: `m/${i}` }));
      await expect(
        s3.send('DeleteObjects', { Bucket: 'lake-bucket', Delete: { Objects: tooMany } }),
      ).rejects.toMatchObject({
        name: 'MalformedXML',
      });
    });
  });
});

describe('S3Fake MaxKeys', () => {
  it('answers at most 1000 keys by default and when asked for more', async () => {
    // Prepare
    const s3 = new S3Fake({ buckets: ['lake-bucket'] });
    const objects = s3.objectsOf('lake-bucket');
    for (let i = 0; i < 1001; i += 1) objects.set(`k/${String(i).padStart(4, '0')}`, Buffer.from('x'));

    // Act
    const byDefault = (await s3.send('ListObjectsV2', { Bucket: 'lake-bucket' })) as ListPage;
    const asked = (await s3.send('ListObjectsV2', { Bucket: 'lake-bucket', MaxKeys: 5000 })) as ListPage;

    // Assess
    for (const page of [byDefault, asked]) {
      expect(page.KeyCount).toBe(1000);
      expect(page.Contents).toHaveLength(1000);
      expect(page.IsTruncated).toBe(true);
    }
  });
});

describe('S3Fake folder backend', () => {
  let root: string;
  let s3: S3Fake;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 's3-fake-folder-'));
    s3 = new S3Fake({ buckets: ['lake-bucket'], root });
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps each object as the file <root>/<bucket>/<key>, the path DuckDB reads', async () => {
    await s3.send('PutObject', { Bucket: 'lake-bucket', Key: 'staging/b1/part-0.ndjson', Body: '{"a":1}\n' });

    const path = s3.pathOf('lake-bucket', 'staging/b1/part-0.ndjson');
    expect(path).toBe(join(root, 'lake-bucket', 'staging', 'b1', 'part-0.ndjson'));
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
  });

  it('lists a file written into the folder by another program (an engine writing table files)', () => {
    writeFileSync(join(root, 'lake-bucket', 'written-by-duckdb.parquet'), 'PAR1');

    expect(s3.listKeys('lake-bucket')).toEqual(['written-by-duckdb.parquet']);
  });

  it('removes folders a delete leaves empty, so the name can become a key again', async () => {
    await s3.send('PutObject', { Bucket: 'lake-bucket', Key: 'a/b', Body: 'x' });
    await s3.send('DeleteObject', { Bucket: 'lake-bucket', Key: 'a/b' });

    expect(existsSync(join(root, 'lake-bucket', 'a'))).toBe(false);
    await s3.send('PutObject', { Bucket: 'lake-bucket', Key: 'a', Body: 'now a key' });
    expect(s3.listKeys('lake-bucket')).toEqual(['a']);
  });

  it('refuses, as a limitation of its own, keys no file can hold next to each other or at all', async () => {
    await s3.send('PutObject', { Bucket: 'lake-bucket', Key: 'x/y', Body: '1' });

    await expect(s3.send('PutObject', { Bucket: 'lake-bucket', Key: 'x', Body: '2' })).rejects.toMatchObject({
      name: 'FakeLimitationError',
    });
    await expect(
      s3.send('PutObject', { Bucket: 'lake-bucket', Key: 'x/y/z', Body: '3' }),
    ).rejects.toMatchObject({ name: 'FakeLimitationError' });
    await expect(
      s3.send('PutObject', { Bucket: 'lake-bucket', Key: 'folder/', Body: '' }),
    ).rejects.toMatchObject({ name: 'FakeLimitationError' });
    await expect(s3.send('GetObject', { Bucket: 'lake-bucket', Key: 'folder/' })).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });
});
