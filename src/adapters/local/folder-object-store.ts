import type { Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidInputError, ObjectNotFoundError } from '../../errors';
import { checkListPrefix, checkObjectKey } from '../object-key';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store';
import { fsyncDirectory, isErrnoCode, isTempFileName, tempFileName, writeFileAtomic } from './atomic-write';

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
 *   object or the whole new one. Temporary files start with `.eventlake-tmp-` and are never listed.
 * - Directories are not objects: they are created on demand and left in place when emptied.
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

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const { dirSegments, namePrefix } = parsePrefix(prefix);
    yield* this.walk(dirSegments, namePrefix);
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
    let handle: FileHandle;
    try {
      handle = await fs.open(filePath, 'r');
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) throw new ObjectNotFoundError(key);
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
   * Yields the objects under the folder `dirSegments` whose first name starts with `namePrefix`, in
   * ascending key order. Only the folders that can hold a match are read.
   */
  private async *walk(dirSegments: readonly string[], namePrefix: string): AsyncGenerator<ObjectInfo> {
    const dirPath = path.join(this.rootDir, ...dirSegments);
    let dirents: Dirent[];
    try {
      dirents = await fs.readdir(dirPath, { withFileTypes: true });
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return;
      throw error;
    }
    const entries = await classify(dirPath, dirents, namePrefix);
    let files: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory) {
        yield* this.statFiles(dirSegments, files);
        files = [];
        yield* this.walk([...dirSegments, entry.name], '');
      } else {
        files.push(entry.name);
      }
    }
    yield* this.statFiles(dirSegments, files);
  }

  private async *statFiles(
    dirSegments: readonly string[],
    names: readonly string[],
  ): AsyncGenerator<ObjectInfo> {
    const keyPrefix = dirSegments.length === 0 ? '' : `${dirSegments.join('/')}/`;
    for (let start = 0; start < names.length; start += STAT_CONCURRENCY) {
      const chunk = names.slice(start, start + STAT_CONCURRENCY);
      const sizes = await Promise.all(
        chunk.map((name) => fileSize(path.join(this.rootDir, ...dirSegments, name))),
      );
      for (let i = 0; i < chunk.length; i += 1) {
        const sizeBytes = sizes[i];
        // undefined: the file went away (moved or deleted) between readdir and stat.
        if (sizeBytes !== undefined) yield { key: `${keyPrefix}${chunk[i]}`, sizeBytes };
      }
    }
  }
}

interface DirEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  /** Sorts entries so a depth-first walk yields keys in ascending order (UTF-8 byte order, as S3 lists). */
  readonly sortKey: Buffer;
}

async function classify(
  dirPath: string,
  dirents: readonly Dirent[],
  namePrefix: string,
): Promise<DirEntry[]> {
  const entries: DirEntry[] = [];
  for (const dirent of dirents) {
    if (!dirent.name.startsWith(namePrefix) || isTempFileName(dirent.name)) continue;
    let isDirectory = dirent.isDirectory();
    let isFile = dirent.isFile();
    if (dirent.isSymbolicLink()) {
      const target = await fs.stat(path.join(dirPath, dirent.name)).catch(() => undefined);
      isDirectory = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (!isDirectory && !isFile) continue;
    // A folder's keys all start with `<name>/`: sorting it under that string puts it exactly where its
    // keys belong among its sibling files (`a.txt` < `a/…` < `a0`).
    const sortKey = Buffer.from(isDirectory ? `${dirent.name}/` : dirent.name, 'utf8');
    entries.push({ name: dirent.name, isDirectory, sortKey });
  }
  return entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
}

async function fileSize(filePath: string): Promise<number | undefined> {
  try {
    const stats = await fs.stat(filePath);
    return stats.isFile() ? stats.size : undefined;
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

async function isDirectory(filePath: string): Promise<boolean> {
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
