import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Every temporary file the local adapters write starts with this prefix, so listings can skip it and a
 * crashed write leaves nothing that looks like an object.
 */
export const TEMP_FILE_PREFIX = '.eventlake-tmp-';

export function isTempFileName(name: string): boolean {
  return name.startsWith(TEMP_FILE_PREFIX);
}

export interface AtomicWriteOptions {
  /** fsync the file before the rename and the directory after it, so the write survives a power loss. */
  readonly fsync: boolean;
}

/**
 * Writes `data` to `filePath` so that a reader sees the old content or the whole new content, never a part:
 * write a temporary file in the same directory, then rename it over the target (atomic on POSIX).
 * The parent directory must exist.
 */
export async function writeFileAtomic(
  filePath: string,
  data: Buffer | string,
  options: AtomicWriteOptions,
): Promise<void> {
  const dir = path.dirname(filePath);
  const tempPath = path.join(dir, tempFileName(path.basename(filePath)));
  try {
    const handle = await fs.open(tempPath, 'wx');
    try {
      await handle.writeFile(data);
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tempPath, filePath);
  } catch (error) {
    await fs.rm(tempPath, { force: true });
    throw error;
  }
  if (options.fsync) await fsyncDirectory(dir);
}

/** A unique temporary name for a file that will be renamed to `baseName`. */
export function tempFileName(baseName: string): string {
  // Keep the name well under NAME_MAX (255 bytes) whatever the target's length.
  const hint = baseName.length > 100 ? baseName.slice(0, 100) : baseName;
  return `${TEMP_FILE_PREFIX}${hint}.${process.pid}.${randomBytes(6).toString('hex')}`;
}

/** The pid of the process that wrote a temporary file (tempFileName), or undefined for any other name. */
export function tempFileWriterPid(name: string): number | undefined {
  if (!isTempFileName(name)) return undefined;
  const match = /\.(\d+)\.[0-9a-f]{12}$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Makes a rename or a new file in `dir` durable. Some platforms cannot fsync a directory: that is not an error. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!isErrnoCode(error, 'EISDIR', 'EINVAL', 'EPERM', 'EBADF')) throw error;
  } finally {
    await handle?.close();
  }
}

/** Whether `error` is a Node system error with one of `codes`. */
/** What `operation` gives, or undefined when the file it reads is not there (ENOENT). */
export async function ifExists<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

export function isErrnoCode(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    codes.includes(error.code)
  );
}
