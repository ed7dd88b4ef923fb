import type { Dirent } from 'node:fs';
import { constants as fsConstants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidInputError, ObjectNotFoundError } from '../../errors';
import { checkListPrefix, checkObjectKey, escapeFileName } from '../../ports/object-key';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store';
import { fsyncDirectory, isErrnoCode, TEMP_FILE_PREFIX, tempFileName, writeFileAtomic } from './atomic-write';

export interface FolderObjectStoreOptions {
  /**
   * fsync each written file before it is renamed into place (and its directory after), so an object that
   * was put survives a power loss. A function decides per key: intermediate data that a resumed run
   * rewrites anyway can skip it. Turn off entirely only for throwaway folders.
   * @default true
   */
  readonly fsync?: boolean | ((key: string) => boolean);
}

/** How many `stat` calls a listing keeps in flight for the files of one directory. */
const STAT_CONCURRENCY = 64;

/**
 * The object store of the local runtime: one file per object under `rootDir`, the key being the file's
 * path relative to it (`raw/2024/04/07/17/part-0.gz` -> `<rootDir>/raw/2024/04/07/17/part-0.gz`).
 *
 * - Keys are `/`-separated, relative, without empty, `.` or `..` segments (checked: a bad key throws
 *   `InvalidInputError` before touching the disk, so no key ever escapes `rootDir`).
 * - `put` writes a temporary file beside the target and renames it over the target: readers see the old
 *   object or the whole new one. Temporary files start with `.eventlake-tmp-`: `list` leaves them out,
 *   `listTemporary` names them.
 * - Directories are not objects: they are created on demand and left in place when emptied.
 * - Only regular files are objects. `list` still yields every other entry it finds (FIFO, socket, device,
 *   symbolic link, a name that is not UTF-8), marked, so the pipeline can quarantine it instead of losing
 *   it (docs/quarantine.md, "Raw objects that cannot be read"); `getStream` never blocks on a FIFO.
 */
export class FolderObjectStore implements ObjectStore {
  readonly rootDir: string;
  private readonly durable: (key: string) => boolean;

  constructor(rootDir: string, options: FolderObjectStoreOptions = {}) {
    if (rootDir.length === 0) throw new InvalidInputError('FolderObjectStore: rootDir must not be empty');
    this.rootDir = path.resolve(rootDir);
    const fsync = options.fsync ?? true;
    this.durable = typeof fsync === 'function' ? fsync : () => fsync;
  }

  /**
   * Every entry under `prefix` but the store's own temporary files: regular files as objects, and (so
   * nothing goes unseen) a name that is not UTF-8 or holds a backslash under its escaped key
   * (`escapedName`), a FIFO, socket, device or symbolic link as an entry with `notRegularFile`. Symbolic
   * links are not followed (except to a folder at the top level of the store, e.g. `raw/` on another disk):
   * a link may point outside the lake, to a file already listed, or into a loop.
   */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const { dirSegments, namePrefix } = parsePrefix(prefix);
    if (await this.throughLink(dirSegments)) return;
    yield* this.walk(dirSegments, Buffer.from(path.join(this.rootDir, ...dirSegments)), namePrefix, 'objects');
  }

  /** The temporary files (and folders) under `prefix` that `list` leaves out: writes in progress or crashed. */
  async *listTemporary(prefix: string): AsyncIterable<ObjectInfo> {
    const { dirSegments, namePrefix } = parsePrefix(prefix);
    if (await this.throughLink(dirSegments)) return;
    yield* this.walk(dirSegments, Buffer.from(path.join(this.rootDir, ...dirSegments)), namePrefix, 'temporary');
  }

  async get(key: string): Promise<Buffer> {
    const filePath = this.pathOf(key);
    try {
      return await fs.readFile(filePath);
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async getStream(key: string): Promise<Readable> {
    const filePath = this.pathOf(key);
    // Open before returning so a missing key fails here, not later as a stream 'error' event.
    // O_NONBLOCK: a FIFO put where a file was listed must not hang the open (no effect on a regular file);
    // O_NOFOLLOW: a symbolic link is not an object (ELOOP), as `list` says.
    let handle: FileHandle;
    try {
      handle = await fs.open(filePath, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR', 'ELOOP')) throw new ObjectNotFoundError(key);
      throw error;
    }
    const stats = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    if (!stats.isFile()) {
      await handle.close();
      throw new ObjectNotFoundError(key);
    }
    return handle.createReadStream();
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const filePath = this.pathOf(key);
    await fs.mkdir(path.dirname(filePath), { recursive: true });
    await writeFileAtomic(filePath, body, { fsync: this.durable(key) });
  }

  async exists(key: string): Promise<boolean> {
    const filePath = this.pathOf(key);
    try {
      return (await fs.stat(filePath)).isFile();
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const filePath = this.pathOf(key);
    try {
      await fs.unlink(filePath);
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return;
      // unlink of a directory fails with EISDIR (Linux) or EPERM (macOS): a directory is not an object.
      if (isErrnoCode(error, 'EISDIR', 'EPERM') && (await isDirectory(filePath))) return;
      throw error;
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    const fromPath = this.pathOf(fromKey);
    const toPath = this.pathOf(toKey);
    // rename() would happily move a directory: only objects (files) move.
    if (!(await this.exists(fromKey))) throw new ObjectNotFoundError(fromKey);
    if (fromPath === toPath) return;
    await fs.mkdir(path.dirname(toPath), { recursive: true });
    try {
      await fs.rename(fromPath, toPath);
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) throw new ObjectNotFoundError(fromKey);
      if (!isErrnoCode(error, 'EXDEV')) throw error;
      await this.copyAcrossDevices(fromPath, toPath);
    }
    if (this.durable(toKey)) {
      // The file may have been written by another program (DuckDB) without fsync: flush it, then the rename.
      const handle = await fs.open(toPath, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsyncDirectory(path.dirname(toPath));
    }
  }

  /**
   * The absolute file path of `key`, for a SQL engine to read. A trailing `/` names a folder
   * (`curated/events/` -> `<rootDir>/curated/events/`), and `''` the root folder itself (`<rootDir>/`);
   * glob characters pass through unchanged.
   */
  uri(key: string): string {
    if (key === '') return this.rootDir.endsWith(path.sep) ? this.rootDir : this.rootDir + path.sep;
    if (key.endsWith('/') && key.length > 1) return this.pathOf(key.slice(0, -1)) + path.sep;
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    return path.join(this.rootDir, ...checkKey(key));
  }

  private async copyAcrossDevices(fromPath: string, toPath: string): Promise<void> {
    // rename() cannot cross a mount point inside rootDir: copy beside the target, rename, then remove.
    const tempPath = path.join(path.dirname(toPath), tempFileName(path.basename(toPath)));
    try {
      await fs.copyFile(fromPath, tempPath);
      await fs.rename(tempPath, toPath);
    } catch (error) {
      await fs.rm(tempPath, { force: true });
      throw error;
    }
    await fs.rm(fromPath, { force: true });
  }

  /**
   * Yields the entries under the folder `dirSegments` (at `dirPath`) whose first name starts with
   * `namePrefix`, in ascending key order. Only the folders that can hold a match are read. `objects` mode
   * yields every entry but the store's temporary files; `temporary` mode yields only those.
   */
  private async *walk(
    dirSegments: readonly string[],
    dirPath: Buffer,
    namePrefix: string,
    mode: ListMode,
  ): AsyncGenerator<ObjectInfo> {
    let dirents: Dirent<Buffer>[];
    try {
      // Names as bytes: a name that is not UTF-8 must be listed (escaped), not mangled or lost.
      dirents = await fs.readdir(dirPath, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return;
      throw error;
    }
    const entries = await classify(dirPath, dirents, namePrefix, dirSegments.length === 0, mode);
    let leaves: DirEntry[] = [];
    for (const entry of entries) {
      if (entry.kind === 'folder') {
        yield* this.describe(dirSegments, leaves);
        leaves = [];
        yield* this.walk([...dirSegments, entry.name], entry.path, '', mode);
      } else {
        leaves.push(entry);
      }
    }
    yield* this.describe(dirSegments, leaves);
  }

  /** Sizes the regular files among `leaves` (lstat, a few at a time) and yields every leaf as listed. */
  private async *describe(dirSegments: readonly string[], leaves: readonly DirEntry[]): AsyncGenerator<ObjectInfo> {
    const keyPrefix = dirSegments.length === 0 ? '' : `${dirSegments.join('/')}/`;
    for (let start = 0; start < leaves.length; start += STAT_CONCURRENCY) {
      const chunk = leaves.slice(start, start + STAT_CONCURRENCY);
      const described = await Promise.all(chunk.map((leaf) => describeLeaf(leaf)));
      for (let i = 0; i < chunk.length; i += 1) {
        const leaf = chunk[i] as DirEntry;
        const found = described[i];
        // undefined: the file went away (moved or deleted) between readdir and lstat: nothing is there.
        if (found === undefined) continue;
        const key = `${keyPrefix}${leaf.name}`;
        yield {
          key,
          sizeBytes: found.sizeBytes,
          // Only an escaped name holds a backslash: the key is escaped when any of its segments is.
          ...(key.includes('\\') ? { escapedName: true } : {}),
          ...(found.notRegularFile !== undefined ? { notRegularFile: found.notRegularFile } : {}),
        };
      }
    }
  }

  /**
   * True when a folder of a list prefix below the store's top level is a symbolic link. Links are followed
   * only at the top level (`raw/` may be a link to another disk); deeper, a link is an entry of its own (not
   * a regular file), so a listing through it would show objects that a listing of its parent does not.
   */
  private async throughLink(dirSegments: readonly string[]): Promise<boolean> {
    for (let depth = 2; depth <= dirSegments.length; depth += 1) {
      try {
        if ((await fs.lstat(path.join(this.rootDir, ...dirSegments.slice(0, depth)))).isSymbolicLink()) return true;
      } catch (error) {
        if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return false;
        throw error;
      }
    }
    return false;
  }
}

type ListMode = 'objects' | 'temporary';

interface DirEntry {
  /** The key segment: the file name, escaped when it is not UTF-8 or holds a backslash (`escapeFileName`). */
  readonly name: string;
  /** The entry's path as bytes (a name that is not UTF-8 has no string path). */
  readonly path: Buffer;
  /** `folder` is walked; `file` is a regular file (sized later); `other` is described by `notRegularFile`. */
  readonly kind: 'folder' | 'file' | 'other';
  readonly notRegularFile?: string;
  /** Sorts entries so a depth-first walk yields keys in ascending order (UTF-8 byte order, as S3 lists). */
  readonly sortKey: Buffer;
}

const SEPARATOR = Buffer.from(path.sep);
const TEMP_PREFIX_BYTES = Buffer.from(TEMP_FILE_PREFIX);

/**
 * What each directory entry is, without following symbolic links (only a link to a folder at the store's
 * top level is followed). Nothing is dropped here but the names outside `namePrefix` and, by mode, the
 * temporary files or everything else.
 */
async function classify(
  dirPath: Buffer,
  dirents: readonly Dirent<Buffer>[],
  namePrefix: string,
  topLevel: boolean,
  mode: ListMode,
): Promise<DirEntry[]> {
  const entries: DirEntry[] = [];
  for (const dirent of dirents) {
    const nameBytes = dirent.name;
    const temporary = nameBytes.subarray(0, TEMP_PREFIX_BYTES.length).equals(TEMP_PREFIX_BYTES);
    // `objects` drops the temporary entries; `temporary` keeps them and the folders that may hold more.
    if (mode === 'objects' ? temporary : !temporary && !dirent.isDirectory() && !dirent.isSymbolicLink()) continue;
    const name = escapeFileName(nameBytes);
    if (!name.startsWith(namePrefix)) continue;
    const entryPath = Buffer.concat([dirPath, SEPARATOR, nameBytes]);
    let kind: DirEntry['kind'] = 'other';
    let notRegularFile: string | undefined;
    if (dirent.isFile()) {
      kind = 'file';
    } else if (dirent.isDirectory() && !temporary) {
      kind = 'folder';
    } else if (dirent.isSymbolicLink() && !temporary && topLevel && (await isDirectory(entryPath))) {
      kind = 'folder';
    } else if (mode === 'temporary' && !temporary) {
      continue; // a link that is not followed, in a listing of temporary entries only
    } else {
      notRegularFile = dirent.isSymbolicLink() ? await describeLink(entryPath) : describeType(dirent);
    }
    // A folder's keys all start with `<name>/`: sorting it under that string puts it exactly where its
    // keys belong among its sibling files (`a.txt` < `a/…` < `a0`).
    const sortKey = Buffer.from(kind === 'folder' ? `${name}/` : name, 'utf8');
    entries.push({
      name,
      path: entryPath,
      kind,
      ...(notRegularFile !== undefined ? { notRegularFile } : {}),
      sortKey,
    });
  }
  return entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
}

/** The size of a regular file (lstat: a link is not followed), what a leaf is otherwise, undefined when gone. */
async function describeLeaf(leaf: DirEntry): Promise<{ sizeBytes: number; notRegularFile?: string } | undefined> {
  if (leaf.kind === 'other') return { sizeBytes: 0, ...(leaf.notRegularFile !== undefined ? { notRegularFile: leaf.notRegularFile } : {}) };
  try {
    const stats = await fs.lstat(leaf.path);
    if (stats.isFile()) return { sizeBytes: stats.size };
    // Replaced by something else between readdir and lstat.
    return { sizeBytes: 0, notRegularFile: stats.isSymbolicLink() ? await describeLink(leaf.path) : describeType(stats) };
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

interface TypedEntry {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

function describeType(entry: TypedEntry): string {
  if (entry.isFIFO()) return 'a FIFO (named pipe)';
  if (entry.isSocket()) return 'a socket';
  if (entry.isCharacterDevice()) return 'a character device';
  if (entry.isBlockDevice()) return 'a block device';
  if (entry.isDirectory()) return 'a folder';
  return 'an entry of an unknown type';
}

/** `a symbolic link to "<target>" (<what the target is>)`; never follows the link to read it. */
async function describeLink(linkPath: Buffer): Promise<string> {
  let target: string;
  try {
    target = JSON.stringify(escapeFileName(await fs.readlink(linkPath, { encoding: 'buffer' })));
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return 'a symbolic link (removed while listed)';
    throw error;
  }
  let what: string;
  try {
    const stats = await fs.stat(linkPath);
    what = stats.isFile() ? 'a file' : stats.isDirectory() ? 'a folder' : describeType(stats);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') what = 'its target does not exist';
    else if (code === 'ELOOP') what = 'a loop of links that never reaches a file';
    else what = `its target cannot be reached: ${typeof code === 'string' ? code : String(error)}`;
  }
  return `a symbolic link to ${target} (${what})`;
}

async function isDirectory(filePath: string | Buffer): Promise<boolean> {
  try {
    return (await fs.stat(filePath)).isDirectory();
  } catch {
    return false;
  }
}

/** Splits a checked key into path segments. */
function checkKey(key: string): string[] {
  checkObjectKey(key);
  return key.split('/');
}

/**
 * A list prefix is a folder part (whole segments, checked like a key) and a name part that may end
 * mid-name: `raw/2024/04/0` is folder `raw/2024/04` and names starting with `0`.
 */
function parsePrefix(prefix: string): { dirSegments: string[]; namePrefix: string } {
  checkListPrefix(prefix);
  const lastSlash = prefix.lastIndexOf('/');
  const namePrefix = prefix.slice(lastSlash + 1);
  if (lastSlash < 0) return { dirSegments: [], namePrefix };
  return { dirSegments: prefix.slice(0, lastSlash).split('/'), namePrefix };
}
