import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransientError } from '../../errors';
import { ifExists, isErrnoCode } from './atomic-write';

export interface FileLockOptions {
  /** How long to wait for a lock another holder has before giving up with `TransientError`. */
  readonly timeoutMs: number;
  /**
   * A lock file older than this was left by a crashed holder and is removed. Must exceed the longest
   * section run under the lock: a live holder older than this loses its exclusivity.
   */
  readonly staleMs: number;
}

const MAX_RETRY_DELAY_MS = 25;

/**
 * Runs `section` while holding an exclusive lock that works across processes: the lock is a file created
 * with `O_CREAT | O_EXCL` (`fs.open(path, 'wx')`), which exactly one creator wins on a local file system.
 * Contention is retried with short jittered sleeps; past `timeoutMs` it throws `TransientError`, which the
 * state machine retries.
 */
export async function withFileLock<T>(
  lockPath: string,
  options: FileLockOptions,
  section: () => Promise<T>,
): Promise<T> {
  const token = await acquire(lockPath, options);
  try {
    return await section();
  } finally {
    await release(lockPath, token);
  }
}

/**
 * Runs `section` holding the lock only if it is free now (or held by a stale holder, whose lock is broken):
 * returns `{ value }`, or undefined without running `section` when a live holder has it. For work that
 * one holder does for all (the state log's compaction), which the others skip instead of waiting for it.
 */
export async function tryWithFileLock<T>(
  lockPath: string,
  staleMs: number,
  section: () => Promise<T>,
): Promise<{ readonly value: T } | undefined> {
  const token = newToken();
  // A second try only after breaking a stale lock (or finding it just released).
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (await tryCreate(lockPath, token)) {
      try {
        return { value: await section() };
      } finally {
        await release(lockPath, token);
      }
    }
    if (!(await breakIfStale(lockPath, staleMs))) return undefined;
  }
  return undefined;
}

function newToken(): string {
  return `${process.pid}.${randomBytes(8).toString('hex')}`;
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const token = newToken();
  const deadline = Date.now() + options.timeoutMs;
  let delayMs = 1;
  for (;;) {
    if (await tryCreate(lockPath, token)) return token;
    if (await breakIfStale(lockPath, options.staleMs)) continue;
    if (Date.now() >= deadline) {
      throw new TransientError(
        `state store busy: lock ${lockPath} is held by another process (waited ${options.timeoutMs} ms); ` +
          `retry, or delete the file if no eventlake process is running`,
      );
    }
    await sleep(delayMs + Math.random() * delayMs);
    delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
  }
}

async function tryCreate(lockPath: string, token: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx');
  } catch (error) {
    if (isErrnoCode(error, 'EEXIST')) return false;
    throw error;
  }
  try {
    await handle.writeFile(token);
    await handle.close();
    return true;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(lockPath, { force: true });
    throw error;
  }
}

/**
 * Removes the lock file when it is older than `staleMs`. Returns true when the caller should try again
 * at once (the lock was broken or had just gone).
 */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let mtimeMs: number;
  let token: string;
  try {
    mtimeMs = (await fs.stat(lockPath)).mtimeMs;
    token = await fs.readFile(lockPath, 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return true;
    throw error;
  }
  if (Date.now() - mtimeMs <= staleMs) return false;
  // Re-read just before removing: if another process broke it and took a fresh lock meanwhile, keep theirs.
  if ((await readToken(lockPath)) !== token) return true;
  await fs.rm(lockPath, { force: true });
  return true;
}

async function release(lockPath: string, token: string): Promise<void> {
  // Only remove our own lock: if ours was broken as stale, the file now belongs to someone else.
  if ((await readToken(lockPath)) === token) await fs.rm(lockPath, { force: true });
}

function readToken(lockPath: string): Promise<string | undefined> {
  return ifExists(fs.readFile(lockPath, 'utf8'));
}
