import type { Readable } from 'node:stream';

/** One stored object as listed. `key` is relative to the store root, `/`-separated, never leading `/`. */
export interface ObjectInfo {
  readonly key: string;
  readonly sizeBytes: number;
}

/**
 * Where raw, staging, quarantine and curated objects live: a folder locally, S3 on AWS.
 * Contract (tests/ports/object-store.contract.ts):
 * - `list(prefix)` yields every object whose key starts with `prefix`, recursively, in ascending key order;
 *   a missing prefix yields nothing.
 * - `put` is atomic: readers see the old object or the whole new one, never a partial write.
 * - `get`/`getStream` of a missing key throw `ObjectNotFoundError` (name `EventLake.ObjectNotFound`).
 * - `delete` of a missing key is a no-op; `move` replaces the destination and throws `ObjectNotFoundError`
 *   when the source is missing.
 * - Keys that are empty, absolute, contain `.`/`..` or empty segments, a backslash, NUL, or start a
 *   segment with the reserved `.eventlake-tmp-` prefix throw `InvalidInputError`, in every adapter, so both
 *   runtimes agree on which keys exist.
 * - `uri(key)` is what a SQL engine reads: an absolute file path locally, `s3://bucket/key` on AWS;
 *   `uri('')` is the store root and a key ending in `/` names a folder.
 */
export interface ObjectStore {
  list(prefix: string): AsyncIterable<ObjectInfo>;
  get(key: string): Promise<Buffer>;
  getStream(key: string): Promise<Readable>;
  put(key: string, body: Buffer | string): Promise<void>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  move(fromKey: string, toKey: string): Promise<void>;
  uri(key: string): string;
}

/** Whether any object under `prefix` has a key ending in `suffix`; stops at the first one. */
export async function hasObject(store: ObjectStore, prefix: string, suffix = ''): Promise<boolean> {
  for await (const info of store.list(prefix)) if (info.key.endsWith(suffix)) return true;
  return false;
}
