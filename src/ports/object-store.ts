import type { Readable } from 'node:stream';

/** One stored object as listed. `key` is relative to the store root, `/`-separated, never leading `/`. */
export interface ObjectInfo {
  readonly key: string;
  readonly sizeBytes: number;
  /**
   * Folder store only: the file name was not valid UTF-8 or held a backslash, and `key` is its lossless
   * escaped form (`escapeFileName` in src/ports/object-key.ts: `\xHH` for a byte, `\\` for a backslash).
   * Such a key never passes the key rules: the entry is listed so it is seen, never read.
   */
  readonly escapedName?: boolean;
  /**
   * Folder store only: the entry is not a regular file, and this says what it is (`a FIFO (named pipe)`,
   * `a symbolic link to "../x" (its target does not exist)`, ...). Listed so it is seen, never opened.
   */
  readonly notRegularFile?: string;
}

/**
 * Where raw, staging, quarantine and curated objects live: a folder locally, S3 on AWS.
 * Contract (tests/ports/object-store.contract.ts):
 * - `list(prefix)` yields every object whose key starts with `prefix`, recursively, in ascending key order;
 *   a missing prefix yields nothing. The folder store also yields the entries it cannot hand out as objects
 *   (a name that is not UTF-8, a FIFO, a symbolic link: see `ObjectInfo`), so nothing under a prefix goes
 *   unseen; src/raw/classify.ts decides what the pipeline does with them. Only the store's own temporary
 *   files of writes in progress are left out, and `listTemporary` names those.
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
  /**
   * The entries under `prefix` that `list` leaves out by design: the folder store's temporary files
   * (`.eventlake-tmp-…`, a write in progress or left by a crashed one), so `status` can count them.
   * Stores that have no such entries (S3: a put is atomic) leave this out.
   */
  listTemporary?(prefix: string): AsyncIterable<ObjectInfo>;
  get(key: string): Promise<Buffer>;
  getStream(key: string): Promise<Readable>;
  put(key: string, body: Buffer | string): Promise<void>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Deletes every key (missing ones are no-ops), in as few requests as the store allows (S3: DeleteObjects of
   * at most 1,000 keys). Stores without a batch call leave this out: `deleteObjects` deletes one by one.
   */
  deleteMany?(keys: readonly string[]): Promise<void>;
  move(fromKey: string, toKey: string): Promise<void>;
  uri(key: string): string;
}

/** Deletes `keys` with the store's batch call when it has one, else one by one. */
export async function deleteObjects(store: ObjectStore, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  if (store.deleteMany !== undefined) return store.deleteMany(keys);
  for (const key of keys) await store.delete(key);
}

/** Whether any object under `prefix` has a key ending in `suffix`; stops at the first one. */
export async function hasObject(store: ObjectStore, prefix: string, suffix = ''): Promise<boolean> {
  for await (const info of store.list(prefix)) if (info.key.endsWith(suffix)) return true;
  return false;
}
