import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
  type CopyObjectCommandInput,
  type DeleteObjectCommandInput,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type HeadObjectCommandInput,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

/** A GetObject body as the SDK gives it in Node: a Readable with the SDK's transform helpers. */
export function sdkBody(bytes: Buffer): NonNullable<GetObjectCommandOutput['Body']> {
  const stream = Readable.from([bytes]);
  return Object.assign(stream, {
    transformToByteArray: () => Promise.resolve(new Uint8Array(bytes)),
    transformToString: (encoding?: BufferEncoding) => Promise.resolve(bytes.toString(encoding ?? 'utf8')),
    transformToWebStream: () => Readable.toWeb(stream),
  }) as unknown as NonNullable<GetObjectCommandOutput['Body']>;
}

export function noSuchKey(): NoSuchKey {
  return new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
}

export function notFound(): NotFound {
  return new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
}

export function s3Error(name: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    message: `${name} from the fake`,
    $metadata: { httpStatusCode },
  });
}

export interface FakeS3 {
  readonly mock: AwsClientStub<S3Client>;
  readonly objects: Map<string, Buffer>;
}

/**
 * One in-memory S3 bucket behind a mocked client: the calls S3ObjectStore makes, answered as S3 does
 * (UTF-8 byte order listing in pages of `pageSize`, NoSuchKey / NotFound for missing keys, a delete of
 * a missing key is fine, CopySource URL-encoded). Objects are replaced whole, so puts are atomic.
 */
export function fakeS3(client: S3Client, bucket: string, pageSize = 1000): FakeS3 {
  const objects = new Map<string, Buffer>();
  const mock = mockClient(client);

  const checkBucket = (name: string | undefined): void => {
    if (name !== bucket) throw s3Error('NoSuchBucket', 404);
  };

  mock.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput): ListObjectsV2CommandOutput => {
    checkBucket(input.Bucket);
    const prefix = input.Prefix ?? '';
    const after =
      input.ContinuationToken === undefined ? undefined : Buffer.from(input.ContinuationToken, 'base64');
    const keys = [...objects.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => Buffer.from(key, 'utf8'))
      .sort(Buffer.compare)
      .filter((key) => after === undefined || Buffer.compare(key, after) > 0);
    const page = keys.slice(0, pageSize);
    const truncated = keys.length > pageSize;
    return {
      $metadata: {},
      Contents: page.map((key) => ({
        Key: key.toString('utf8'),
        Size: objects.get(key.toString('utf8'))?.length,
      })),
      KeyCount: page.length,
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: page.at(-1)?.toString('base64') } : {}),
    };
  });

  mock.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    checkBucket(input.Bucket);
    const body = objects.get(input.Key ?? '');
    if (body === undefined) throw noSuchKey();
    return { $metadata: {}, ContentLength: body.length, Body: sdkBody(body) };
  });

  mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    checkBucket(input.Bucket);
    const body = input.Body;
    if (!(body instanceof Uint8Array) && typeof body !== 'string')
      throw new TypeError('fake S3 takes bytes or strings');
    objects.set(input.Key ?? '', Buffer.from(body));
    return { $metadata: {} };
  });

  mock.on(HeadObjectCommand).callsFake((input: HeadObjectCommandInput) => {
    checkBucket(input.Bucket);
    const body = objects.get(input.Key ?? '');
    if (body === undefined) throw notFound();
    return { $metadata: {}, ContentLength: body.length };
  });

  mock.on(DeleteObjectCommand).callsFake((input: DeleteObjectCommandInput) => {
    checkBucket(input.Bucket);
    objects.delete(input.Key ?? '');
    return { $metadata: {} };
  });

  mock.on(CopyObjectCommand).callsFake((input: CopyObjectCommandInput) => {
    checkBucket(input.Bucket);
    const source = input.CopySource ?? '';
    const slash = source.indexOf('/');
    checkBucket(source.slice(0, slash));
    const sourceKey = source
      .slice(slash + 1)
      .split('/')
      .map(decodeURIComponent)
      .join('/');
    if (sourceKey === input.Key) throw s3Error('InvalidRequest', 400);
    const body = objects.get(sourceKey);
    if (body === undefined) throw noSuchKey();
    objects.set(input.Key ?? '', Buffer.from(body));
    return { $metadata: {} };
  });

  return { mock, objects };
}
