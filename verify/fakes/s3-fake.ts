import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import {
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  S3ServiceException,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { parseCopySource } from './iam-actions';
import type { SdkCall, ServiceHandler } from './sdk-intercept';

/**
 * An S3 fake that keeps S3's documented rules for the calls S3ObjectStore (src/adapters/aws/s3-object-store.ts)
 * makes, with two backends: objects in memory, or files under `<root>/<bucket>/<key>` so DuckDB can read
 * staged objects by path. Rules and where S3 documents them:
 *
 * - ListObjectsV2 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html): keys in
 *   ascending UTF-8 binary order ("List results are always returned in UTF-8 binary order",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/ListingKeysUsingAPIs.html; general purpose
 *   buckets only); MaxKeys "By default, the action returns up to 1,000 key names. The response might
 *   contain fewer keys but will never contain more" (so a larger MaxKeys is capped at 1000, and a fake
 *   page size below it is within the contract); Prefix; Delimiter rolls keys up into CommonPrefixes, "Each
 *   rolled-up result counts as only one return against the MaxKeys value"; StartAfter "Amazon S3 starts
 *   listing after this specified key", and CommonPrefixes "not lexicographically greater than the
 *   StartAfter value" are filtered out; ContinuationToken / NextContinuationToken are obfuscated (an
 *   invalid one is refused); KeyCount counts what the page returns; IsTruncated.
 * - Object keys are "a sequence of Unicode characters with UTF-8 encoding of up to 1,024 bytes long"
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html); a longer key is refused with
 *   KeyTooLongError "Your key is too long", 400
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList).
 * - GetObject of a missing key: NoSuchKey, 404 (GetObject API, "Permissions": with s3:ListBucket the answer
 *   is 404, which is the only case the fake models); HeadObject: a bodiless 404 the SDK names NotFound
 *   (HeadObject API: "if the HEAD request generates an error, it returns a generic code, such as ... 404
 *   Not Found"); an unknown bucket: NoSuchBucket, 404 (ErrorResponses).
 * - DeleteObject of a missing key succeeds: "If you delete an object that does not exist, Amazon S3 will
 *   return a success" (https://docs.aws.amazon.com/AmazonS3/latest/API/SOAPDeleteObject.html; the REST
 *   DeleteObject answers 204 whether or not the key existed). DeleteObjects takes at most 1000 keys and
 *   reports a missing key as deleted (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
 * - CopyObject's CopySource is `bucket/key`, "The value must be URL-encoded"; a copy onto itself without
 *   changing metadata is refused with InvalidRequest, 400
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
 * - "Updates to a single key are atomic": a reader gets the old or the new body, never a part
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel).
 * - GetObject's Body is what the SDK gives in Node: a stream.Readable with the SDK's one-shot
 *   `transformToByteArray` / `transformToString` / `transformToWebStream` (smithy `sdkStreamMixin`).
 *
 * Not modelled (refused with FakeLimitationError, never silently accepted): multipart uploads, versioning,
 * ranges and conditional requests, EncodingType=url, request fields outside each operation's allow-list.
 * The folder backend additionally cannot hold a key that is a path prefix of another (`a` and `a/b`), a
 * key ending in `/`, or keys with empty, `.` or `..` segments; those are refused too.
 */

/** The fake cannot model this request; the proof must not pass it as if S3 had answered. */
export class FakeLimitationError extends Error {
  constructor(message: string) {
    super(`S3 fake: ${message}`);
    this.name = 'FakeLimitationError';
  }
}

const MAX_KEY_BYTES = 1024;
const MAX_KEYS = 1000;
const MAX_DELETE_KEYS = 1000;

function metadata(httpStatusCode = 200): {
  httpStatusCode: number;
  requestId: string;
  attempts: number;
  totalRetryDelay: number;
} {
  return { httpStatusCode, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
}

export function noSuchKey(): NoSuchKey {
  return new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
}

export function notFound(): NotFound {
  return new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
}

export function noSuchBucket(): NoSuchBucket {
  return new NoSuchBucket({
    message: 'The specified bucket does not exist',
    $metadata: { httpStatusCode: 404 },
  });
}

/** Any S3 error by code and status (`SlowDown` 503, `AccessDenied` 403, `KeyTooLongError` 400, ...). */
export function s3Error(
  name: string,
  httpStatusCode: number,
  message = `${name} from the fake`,
): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    message,
    $metadata: { httpStatusCode },
  });
}

/** A GetObject body as the SDK gives it in Node: a Readable mixed with the SDK's (one-shot) transforms. */
export function sdkBody(bytes: Buffer): NonNullable<GetObjectCommandOutput['Body']> {
  return sdkStreamMixin(Readable.from([bytes], { objectMode: false })) as NonNullable<
    GetObjectCommandOutput['Body']
  >;
}

function etag(bytes: Buffer): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}

/** Where objects live. Keys arrive checked (bucket known, key 1..1024 bytes). */
interface Backend {
  get(bucket: string, key: string): { body: Buffer; modified: Date } | undefined;
  size(bucket: string, key: string): { size: number; modified: Date } | undefined;
  put(bucket: string, key: string, body: Buffer): void;
  delete(bucket: string, key: string): void;
  keys(bucket: string): string[];
}

class MemoryBackend implements Backend {
  readonly buckets = new Map<string, Map<string, Buffer>>();
  private readonly modified = new Map<string, Date>();

  constructor(buckets: readonly string[]) {
    for (const bucket of buckets) this.buckets.set(bucket, new Map());
  }

  private objects(bucket: string): Map<string, Buffer> {
    const objects = this.buckets.get(bucket);
    if (objects === undefined) throw noSuchBucket();
    return objects;
  }

  get(bucket: string, key: string): { body: Buffer; modified: Date } | undefined {
    const body = this.objects(bucket).get(key);
    return body === undefined
      ? undefined
      : { body, modified: this.modified.get(`${bucket}/${key}`) ?? new Date(0) };
  }

  size(bucket: string, key: string): { size: number; modified: Date } | undefined {
    const object = this.get(bucket, key);
    return object === undefined ? undefined : { size: object.body.length, modified: object.modified };
  }

  put(bucket: string, key: string, body: Buffer): void {
    // A new Buffer per put: the object is replaced whole, never edited in place.
    this.objects(bucket).set(key, Buffer.from(body));
    this.modified.set(`${bucket}/${key}`, new Date());
  }

  delete(bucket: string, key: string): void {
    this.objects(bucket).delete(key);
    this.modified.delete(`${bucket}/${key}`);
  }

  keys(bucket: string): string[] {
    return [...this.objects(bucket).keys()];
  }
}

/** A path's stat, or undefined when nothing is there (also when a parent is a file). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** `<root>/<bucket>/<key>` as files; writes go to a temporary file first and are renamed into place. */
class FolderBackend implements Backend {
  private readonly tmp: string;

  constructor(
    readonly root: string,
    buckets: readonly string[],
  ) {
    // Bucket names never start with '.', so this folder can never be a bucket.
    this.tmp = join(root, '.s3-fake-tmp');
    mkdirSync(this.tmp, { recursive: true });
    for (const bucket of buckets) mkdirSync(join(root, bucket), { recursive: true });
  }

  pathOf(bucket: string, key: string): string {
    const segments = key.split('/');
    if (
      segments.some((segment) => segment === '' || segment === '.' || segment === '..') ||
      key.includes('\0')
    ) {
      throw new FakeLimitationError(
        `the folder backend cannot store key ${JSON.stringify(key)} as a file (empty, "." or ".." segment, trailing "/" or NUL)`,
      );
    }
    if (segments.some((segment) => Buffer.byteLength(segment, 'utf8') > 255)) {
      throw new FakeLimitationError(
        `the folder backend cannot store key ${JSON.stringify(key)}: a "/"-separated part over 255 bytes is no file name`,
      );
    }
    return join(this.root, bucket, ...segments);
  }

  /** The key's file, or undefined for a key no file can hold (so no such object can exist). */
  private existingPath(bucket: string, key: string): string | undefined {
    try {
      return this.pathOf(bucket, key);
    } catch (error) {
      if (error instanceof FakeLimitationError) return undefined;
      throw error;
    }
  }

  get(bucket: string, key: string): { body: Buffer; modified: Date } | undefined {
    const path = this.existingPath(bucket, key);
    if (path === undefined) return undefined;
    const stat = statOf(path);
    if (stat === undefined || !stat.isFile()) return undefined;
    return { body: readFileSync(path), modified: stat.mtime };
  }

  size(bucket: string, key: string): { size: number; modified: Date } | undefined {
    const path = this.existingPath(bucket, key);
    const stat = path === undefined ? undefined : statOf(path);
    return stat === undefined || !stat.isFile() ? undefined : { size: stat.size, modified: stat.mtime };
  }

  put(bucket: string, key: string, body: Buffer): void {
    const path = this.pathOf(bucket, key);
    const bucketDir = join(this.root, bucket);
    for (let parent = dirname(path); parent.length > bucketDir.length; parent = dirname(parent)) {
      if (statOf(parent)?.isFile() === true) {
        throw new FakeLimitationError(
          `the folder backend cannot store ${bucket}/${key}: a prefix of it is itself a key`,
        );
      }
    }
    if (statOf(path)?.isDirectory() === true) {
      throw new FakeLimitationError(
        `the folder backend cannot store ${bucket}/${key}: other keys start with "${key}/"`,
      );
    }
    mkdirSync(dirname(path), { recursive: true });
    const temporary = join(this.tmp, randomUUID());
    writeFileSync(temporary, body);
    renameSync(temporary, path);
  }

  delete(bucket: string, key: string): void {
    const path = this.existingPath(bucket, key);
    if (path === undefined || statOf(path)?.isFile() !== true) return;
    unlinkSync(path);
    // Drop folders left empty, so a later key may take their name.
    const bucketDir = join(this.root, bucket);
    for (let dir = dirname(path); dir.length > bucketDir.length; dir = dirname(dir)) {
      if (readdirSync(dir).length > 0) break;
      rmdirSync(dir);
    }
  }

  keys(bucket: string): string[] {
    const keys: string[] = [];
    const walk = (dir: string, prefix: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
        else if (entry.isFile()) keys.push(`${prefix}${entry.name}`);
      }
    };
    const bucketDir = join(this.root, bucket);
    if (existsSync(bucketDir)) walk(bucketDir, '');
    return keys;
  }
}

export interface S3FakeOptions {
  /** The buckets that exist; any other name is NoSuchBucket. */
  readonly buckets: readonly string[];
  /** Keep objects as files under `<root>/<bucket>/<key>`. @default in memory */
  readonly root?: string;
  /** Largest page ListObjectsV2 answers (S3: up to 1000, "might contain fewer"); tests lower it to cross pages. @default 1000 */
  readonly maxKeysPerPage?: number;
}

type Input = Readonly<Record<string, unknown>>;

/** Request fields each operation honours; any other field is refused as not modelled. */
const ALLOWED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ListObjectsV2: [
    'Bucket',
    'Prefix',
    'Delimiter',
    'MaxKeys',
    'ContinuationToken',
    'StartAfter',
    'FetchOwner',
  ],
  GetObject: ['Bucket', 'Key'],
  HeadObject: ['Bucket', 'Key'],
  PutObject: [
    'Bucket',
    'Key',
    'Body',
    'ContentLength',
    'ContentType',
    'ContentEncoding',
    'ContentDisposition',
    'CacheControl',
    'Metadata',
    'ServerSideEncryption',
    'SSEKMSKeyId',
    'StorageClass',
  ],
  DeleteObject: ['Bucket', 'Key'],
  DeleteObjects: ['Bucket', 'Delete'],
  CopyObject: [
    'Bucket',
    'Key',
    'CopySource',
    'MetadataDirective',
    'ContentType',
    'Metadata',
    'ServerSideEncryption',
    'SSEKMSKeyId',
    'StorageClass',
  ],
};

interface ListEntry {
  readonly kind: 'key' | 'prefix';
  readonly value: string;
}

export class S3Fake implements ServiceHandler {
  private readonly backend: MemoryBackend | FolderBackend;
  private readonly buckets: ReadonlySet<string>;
  private readonly pageSize: number;

  constructor(options: S3FakeOptions) {
    for (const bucket of options.buckets) {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
        throw new RangeError(`not an S3 bucket name: ${bucket}`);
    }
    this.buckets = new Set(options.buckets);
    this.backend =
      options.root === undefined
        ? new MemoryBackend(options.buckets)
        : new FolderBackend(options.root, options.buckets);
    const pageSize = options.maxKeysPerPage ?? MAX_KEYS;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_KEYS) {
      throw new RangeError(
        `maxKeysPerPage must be 1..${MAX_KEYS} (S3 never answers more than ${MAX_KEYS} keys)`,
      );
    }
    this.pageSize = pageSize;
  }

  /** ServiceHandler for the SDK interception. */
  handle(call: SdkCall): Promise<unknown> {
    return this.send(call.operation, call.input);
  }

  /** Answers one S3 operation as S3 would (resolves with the SDK output, rejects with the SDK error). */
  async send(operation: string, input: Input): Promise<unknown> {
    const allowed = ALLOWED_FIELDS[operation];
    if (allowed === undefined) throw new FakeLimitationError(`${operation} is not modelled`);
    const extra = Object.keys(input).filter(
      (field) => input[field] !== undefined && !allowed.includes(field),
    );
    if (extra.length > 0)
      throw new FakeLimitationError(`${operation} with ${extra.join(', ')} is not modelled`);
    switch (operation) {
      case 'ListObjectsV2':
        return this.listObjectsV2(input);
      case 'GetObject': {
        const { bucket, key } = this.target(input);
        const object = this.backend.get(bucket, key);
        if (object === undefined) throw noSuchKey();
        return {
          $metadata: metadata(),
          Body: sdkBody(object.body),
          ContentLength: object.body.length,
          ETag: etag(object.body),
          LastModified: object.modified,
          AcceptRanges: 'bytes',
        };
      }
      case 'HeadObject': {
        const { bucket, key } = this.target(input);
        const object = this.backend.get(bucket, key);
        if (object === undefined) throw notFound();
        return {
          $metadata: metadata(),
          ContentLength: object.body.length,
          ETag: etag(object.body),
          LastModified: object.modified,
          AcceptRanges: 'bytes',
        };
      }
      case 'PutObject': {
        const { bucket, key } = this.target(input);
        const body = await bodyBytes(input.Body);
        this.backend.put(bucket, key, body);
        return { $metadata: metadata(), ETag: etag(body) };
      }
      case 'DeleteObject': {
        const { bucket, key } = this.target(input);
        this.backend.delete(bucket, key);
        return { $metadata: metadata(204) };
      }
      case 'DeleteObjects':
        return this.deleteObjects(input);
      case 'CopyObject':
        return this.copyObject(input);
      default:
        throw new FakeLimitationError(`${operation} is not modelled`);
    }
  }

  /** Every key under `prefix`, in S3's listing order (for the Athena fake's record of table files). */
  listKeys(bucket: string, prefix = ''): string[] {
    this.bucket(bucket);
    return sortKeys(this.backend.keys(bucket).filter((key) => key.startsWith(prefix)));
  }

  /** The file that holds an object (folder backend only): the path DuckDB reads it by. */
  pathOf(bucket: string, key: string): string {
    if (!(this.backend instanceof FolderBackend))
      throw new FakeLimitationError('pathOf needs the folder backend (options.root)');
    this.bucket(bucket);
    return this.backend.pathOf(bucket, key);
  }

  /** The live object map of one bucket (memory backend only), for tests that inspect or seed it. */
  objectsOf(bucket: string): Map<string, Buffer> {
    if (!(this.backend instanceof MemoryBackend))
      throw new FakeLimitationError('objectsOf needs the memory backend');
    const objects = this.backend.buckets.get(bucket);
    if (objects === undefined) throw noSuchBucket();
    return objects;
  }

  private bucket(name: unknown): string {
    if (typeof name !== 'string' || name.length === 0)
      throw new Error('No value provided for input HTTP label: Bucket.');
    if (!this.buckets.has(name)) throw noSuchBucket();
    return name;
  }

  private key(name: unknown): string {
    if (name === undefined || name === null) throw new Error('No value provided for input HTTP label: Key.');
    if (typeof name !== 'string' || name.length === 0)
      throw new Error('Empty value provided for input HTTP label: Key.');
    if (Buffer.byteLength(name, 'utf8') > MAX_KEY_BYTES)
      throw s3Error('KeyTooLongError', 400, 'Your key is too long');
    return name;
  }

  private target(input: Input): { bucket: string; key: string } {
    const bucket = this.bucket(input.Bucket);
    return { bucket, key: this.key(input.Key) };
  }

  private listObjectsV2(input: Input): unknown {
    const bucket = this.bucket(input.Bucket);
    const maxKeys = input.MaxKeys ?? MAX_KEYS;
    if (typeof maxKeys !== 'number' || !Number.isInteger(maxKeys) || maxKeys < 0) {
      throw s3Error('InvalidArgument', 400, 'Provided max-keys not an integer or within integer range');
    }
    const prefix = typeof input.Prefix === 'string' ? input.Prefix : '';
    const delimiter =
      typeof input.Delimiter === 'string' && input.Delimiter.length > 0 ? input.Delimiter : undefined;
    const startAfter = typeof input.StartAfter === 'string' ? input.StartAfter : undefined;
    const after = input.ContinuationToken === undefined ? undefined : decodeToken(input.ContinuationToken);
    const limit = Math.min(maxKeys, MAX_KEYS, this.pageSize);

    const entries: ListEntry[] = [];
    let truncated = false;
    let lastPrefix: string | undefined = after?.kind === 'prefix' ? after.value : undefined;
    for (const key of this.listKeys(bucket, prefix)) {
      if (startAfter !== undefined && compareKeys(key, startAfter) <= 0) continue;
      if (
        after !== undefined &&
        (compareKeys(key, after.value) <= 0 || (after.kind === 'prefix' && key.startsWith(after.value)))
      ) {
        continue;
      }
      let entry: ListEntry = { kind: 'key', value: key };
      if (delimiter !== undefined) {
        const at = key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const common = key.slice(0, at + delimiter.length);
          if (common === lastPrefix) continue;
          lastPrefix = common;
          if (startAfter !== undefined && compareKeys(common, startAfter) <= 0) continue;
          entry = { kind: 'prefix', value: common };
        }
      }
      if (entries.length >= limit) {
        truncated = true;
        break;
      }
      entries.push(entry);
    }
    const contents = entries.filter((entry) => entry.kind === 'key');
    const prefixes = entries.filter((entry) => entry.kind === 'prefix');
    const last = entries.at(-1);
    return {
      $metadata: metadata(),
      Name: bucket,
      Prefix: prefix,
      MaxKeys: maxKeys,
      KeyCount: entries.length,
      IsTruncated: truncated,
      ...(contents.length > 0
        ? {
            Contents: contents.map(({ value }) => {
              const object = this.backend.size(bucket, value);
              return {
                Key: value,
                Size: object?.size ?? 0,
                LastModified: object?.modified,
                StorageClass: 'STANDARD',
              };
            }),
          }
        : {}),
      ...(prefixes.length > 0 ? { CommonPrefixes: prefixes.map(({ value }) => ({ Prefix: value })) } : {}),
      ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
      ...(startAfter !== undefined ? { StartAfter: startAfter } : {}),
      ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
      ...(truncated
        ? { NextContinuationToken: encodeToken(last ?? after ?? { kind: 'key', value: startAfter ?? '' }) }
        : {}),
    };
  }

  private deleteObjects(input: Input): unknown {
    const bucket = this.bucket(input.Bucket);
    const request = input.Delete as
      { Objects?: { Key?: unknown; VersionId?: unknown }[]; Quiet?: boolean } | undefined;
    const objects = request?.Objects ?? [];
    if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) {
      throw s3Error(
        'MalformedXML',
        400,
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const deleted: { Key: string }[] = [];
    for (const object of objects) {
      if (object.VersionId !== undefined)
        throw new FakeLimitationError('DeleteObjects with VersionId is not modelled');
      const key = this.key(object.Key);
      this.backend.delete(bucket, key);
      deleted.push({ Key: key });
    }
    return { $metadata: metadata(), ...(request?.Quiet === true ? {} : { Deleted: deleted }) };
  }

  private copyObject(input: Input): unknown {
    const { bucket, key } = this.target(input);
    if (typeof input.CopySource !== 'string')
      throw new Error('No value provided for input HTTP label: CopySource.');
    let source: { bucket: string; key: string; versionId?: string };
    try {
      source = parseCopySource(input.CopySource);
    } catch {
      throw s3Error('InvalidArgument', 400, 'Invalid copy source encoding');
    }
    if (source.versionId !== undefined)
      throw new FakeLimitationError('CopyObject of a version is not modelled');
    if (source.bucket.length === 0 || source.key.length === 0) {
      throw s3Error(
        'InvalidArgument',
        400,
        'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      );
    }
    const sourceBucket = this.bucket(source.bucket);
    const sourceKey = this.key(source.key);
    if (sourceBucket === bucket && sourceKey === key && input.MetadataDirective !== 'REPLACE') {
      throw s3Error(
        'InvalidRequest',
        400,
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const object = this.backend.get(sourceBucket, sourceKey);
    if (object === undefined) throw noSuchKey();
    this.backend.put(bucket, key, object.body);
    return { $metadata: metadata(), CopyObjectResult: { ETag: etag(object.body), LastModified: new Date() } };
  }
}

/** S3's listing order: ascending by the keys' UTF-8 bytes (not by UTF-16 code units as `sort()` would). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sortKeys(keys: string[]): string[] {
  return keys
    .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
    .sort((x, y) => Buffer.compare(x.bytes, y.bytes))
    .map(({ key }) => key);
}

const TOKEN_PREFIX = 'fake1:';

function encodeToken(entry: ListEntry): string {
  return Buffer.from(TOKEN_PREFIX + JSON.stringify(entry), 'utf8').toString('base64');
}

function decodeToken(token: unknown): ListEntry {
  const invalid = () => s3Error('InvalidArgument', 400, 'The continuation token provided is incorrect');
  if (typeof token !== 'string') throw invalid();
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith(TOKEN_PREFIX)) throw invalid();
  try {
    const entry = JSON.parse(text.slice(TOKEN_PREFIX.length)) as Partial<ListEntry>;
    if ((entry.kind === 'key' || entry.kind === 'prefix') && typeof entry.value === 'string') {
      return { kind: entry.kind, value: entry.value };
    }
  } catch {
    // fall through
  }
  throw invalid();
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  throw new FakeLimitationError(`a PutObject Body of type ${typeof body} is not modelled`);
}
