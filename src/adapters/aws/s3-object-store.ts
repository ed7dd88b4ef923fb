import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InvalidInputError, ObjectNotFoundError, TransientError } from '../../errors';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store';
import { awsErrorName, httpStatusOf, isAwsError, isServerFault, messageOf } from './aws-errors';
import { checkListPrefix, checkObjectKey, checkUriKey } from '../../ports/object-key';

export interface S3ObjectStoreOptions {
  /** Built once per process and shared (Lambda cold start); injected so tests can mock it. */
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * Where the store's root lies inside the bucket: `lake/` stores key `raw/x` as object `lake/raw/x`.
   * Must end with `/`. @default '' (the bucket root)
   */
  readonly keyPrefix?: string;
}

/** Keys per DeleteObjects request (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
export const DELETE_OBJECTS_MAX_KEYS = 1000;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The ObjectStore of one S3 bucket (tests/ports/object-store.contract.ts).
 *
 * - `list` pages ListObjectsV2; general purpose buckets list keys in ascending UTF-8 byte order, which is
 *   the port's order (directory buckets do not, and are not supported).
 *   Keys are yielded as S3 has them, also those the key rules refuse (a backslash, `//`, `./`, a console
 *   folder marker ending in `/`): the other methods refuse such a key, and the pipeline quarantines a raw
 *   one as `unsupported_key` instead of opening it (src/raw/classify.ts); a planned object that is gone
 *   (NoSuchKey) becomes `ObjectNotFoundError`, which ValidateSlice records as `object_vanished`.
 * - `put` is one PutObject: S3 makes a new object visible whole or not at all.
 * - `getStream` hands back GetObject's body stream: nothing is buffered.
 * - `move` is CopyObject then DeleteObject (not atomic: a crash in between leaves both; a retry converges).
 * - A missing key (NoSuchKey / NotFound) is `ObjectNotFoundError`; throttling (SlowDown, 503) and other
 *   5xx answers are `TransientError` with the SDK error as cause. The role needs s3:ListBucket, or S3
 *   answers a missing key with 403 AccessDenied instead of 404.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly keyPrefix: string;
  private readonly client: S3Client;

  constructor(options: S3ObjectStoreOptions) {
    if (!BUCKET_NAME.test(options.bucket)) {
      throw new InvalidInputError(`S3ObjectStore: not an S3 bucket name: ${JSON.stringify(options.bucket)}`);
    }
    const keyPrefix = options.keyPrefix ?? '';
    if (keyPrefix !== '') {
      if (!keyPrefix.endsWith('/'))
        throw new InvalidInputError(`S3ObjectStore: keyPrefix must end with "/": ${keyPrefix}`);
      checkObjectKey(keyPrefix.slice(0, -1));
    }
    this.client = options.client;
    this.bucket = options.bucket;
    this.keyPrefix = keyPrefix;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkListPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.call('list', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyPrefix + prefix,
            ...(continuationToken !== undefined ? { ContinuationToken: continuationToken } : {}),
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.keyPrefix)) continue;
        yield { key: object.Key.slice(this.keyPrefix.length), sizeBytes: object.Size ?? 0 };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async get(key: string): Promise<Buffer> {
    const output = await this.getObject(key);
    if (output.Body === undefined) return Buffer.alloc(0);
    const bytes = await output.Body.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async getStream(key: string): Promise<Readable> {
    // GetObject answers before the body is read, so a missing key fails here, not as a stream 'error'.
    const output = await this.getObject(key);
    const body: unknown = output.Body;
    if (body === undefined) return Readable.from([]);
    if (body instanceof Readable) return body;
    if (hasWebStream(body))
      return Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
    throw new TypeError(`S3ObjectStore: GetObject body of ${key} is not a stream`);
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    checkObjectKey(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.call('put', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key, Body: bytes })),
    );
  }

  async exists(key: string): Promise<boolean> {
    checkObjectKey(key);
    try {
      await this.call('head', key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key })),
      );
      return true;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    // S3 answers 204 for a missing key too: delete is idempotent as the port wants.
    await this.call('delete', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key })),
    );
  }

  /**
   * DeleteObjects in requests of at most 1,000 keys ("The request can contain a list of up to 1,000 keys that
   * you want to delete"; a missing key is reported as deleted; a key S3 could not delete comes back in
   * `Errors` with the request itself succeeding: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
   * Quiet mode answers only the failures; any failure throws, naming the first.
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) checkObjectKey(key);
    for (let at = 0; at < keys.length; at += DELETE_OBJECTS_MAX_KEYS) {
      const chunk = keys.slice(at, at + DELETE_OBJECTS_MAX_KEYS);
      const output = await this.call('delete', chunk[0] as string, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: chunk.map((key) => ({ Key: this.keyPrefix + key })), Quiet: true },
          }),
        ),
      );
      const failed = output.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new TransientError(
          `S3 DeleteObjects on ${this.bucket}: ${failed.length} of ${chunk.length} keys not deleted, e.g. ${first?.Key ?? '?'}: ${first?.Code ?? '?'} ${first?.Message ?? ''}`,
        );
      }
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    checkObjectKey(fromKey);
    checkObjectKey(toKey);
    if (fromKey === toKey) {
      // S3 refuses a copy onto itself; the port wants a no-op (or ObjectNotFoundError when missing).
      if (!(await this.exists(fromKey))) throw new ObjectNotFoundError(fromKey);
      return;
    }
    // A missing source fails the copy with NoSuchKey: reported as the source key, destination untouched.
    await this.call('copy', fromKey, () =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.keyPrefix + toKey,
          CopySource: copySource(this.bucket, this.keyPrefix + fromKey),
        }),
      ),
    );
    await this.delete(fromKey);
  }

  /** `s3://bucket/<keyPrefix><key>`; a key ending in `/` names a folder, `''` the store root. */
  uri(key: string): string {
    checkUriKey(key);
    return `s3://${this.bucket}/${this.keyPrefix}${key}`;
  }

  private async getObject(key: string): Promise<GetObjectCommandOutput> {
    checkObjectKey(key);
    return this.call('get', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key })),
    );
  }

  /** Runs one S3 call about `key`, mapping a missing object to `ObjectNotFoundError` and throttling to `TransientError`. */
  private async call<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (isAwsError(error, 'NoSuchKey', 'NotFound')) throw new ObjectNotFoundError(key);
      if (isThrottling(error) || isServerFault(error)) {
        throw new TransientError(
          `S3 ${operation} of ${JSON.stringify(key)} in bucket ${this.bucket} failed with ${awsErrorName(error) ?? 'an error'} (HTTP ${httpStatusOf(error) ?? '?'}), retry later: ${messageOf(error)}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function isThrottling(error: unknown): boolean {
  return (
    isAwsError(error, 'SlowDown', 'ThrottlingException', 'RequestTimeout', 'ServiceUnavailable') ||
    httpStatusOf(error) === 503
  );
}

/** CopySource is `bucket/key`, URL-encoded per segment (S3 decodes it; `/` stays the separator). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function hasWebStream(body: unknown): body is { transformToWebStream(): unknown } {
  return typeof (body as { transformToWebStream?: unknown }).transformToWebStream === 'function';
}
