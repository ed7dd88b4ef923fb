import { closeSync, fstatSync, openSync, readSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { EntityKey, StateVersion } from '../../ports/state-store';
import { fsyncDirectory, isErrnoCode, tempFileName } from './atomic-write';
import { entityOfLine, parseLogLine, replayVersion, stateLines } from './version-lines';

/**
 * The compacted part of the file state store: `versions.sorted.ndjson`, the lines of every entity's state
 * (its base first), sorted by entity (JavaScript string order), so one entity is found by a binary search
 * over the file's bytes instead of an index of every entity in memory. The file is only ever replaced whole
 * (a temporary file renamed over it), never appended to, so a reader holding it open reads one version of it.
 */

/** Bytes read at a time by a lookup; a lookup keeps at most LOOKUP_CACHE_BLOCKS of them. */
const BLOCK_BYTES = 64 * 1024;
const LOOKUP_CACHE_BLOCKS = 64;
/** Bytes read and written at a time while merging. */
const MERGE_CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/** The lines of each of `entities` found in the sorted file at `filePath` (none when it does not exist). */
export function lookupSorted(filePath: string, entities: readonly EntityKey[]): Map<EntityKey, StateVersion[]> {
  const found = new Map<EntityKey, StateVersion[]>();
  let fd: number;
  try {
    fd = openSync(filePath, 'r');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return found;
    throw error;
  }
  try {
    // Reads are synchronous: a lookup is a few small reads of a file the page cache mostly holds, and an
    // await per read would cost more than the read. Sorted keys let each search start where the last ended.
    const file = new SortedFile(fd, filePath);
    let from = 0;
    for (const entity of [...new Set(entities)].sort()) {
      let position = file.lowerBound(entity, from);
      const lines: StateVersion[] = [];
      while (position < file.size) {
        const { text, end } = file.lineAt(position);
        if (file.entityOf(text, position) !== entity) break;
        lines.push(file.parse(text, position));
        position = end;
      }
      if (lines.length > 0) found.set(entity, lines);
      from = position;
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

class SortedFile {
  readonly size: number;
  private readonly blocks = new Map<number, Buffer>();

  constructor(
    private readonly fd: number,
    private readonly filePath: string,
  ) {
    // The size of the very file opened, whatever replaced its name since.
    this.size = fstatSync(fd).size;
  }

  /** Start of the first line whose entity is at or after `entity`, searching from the line start `from`. */
  lowerBound(entity: string, from: number): number {
    // Invariant: every line before `low` is before `entity`; `high` is a line start (or the size) whose line
    // is at or after it. Entities asked for are sorted and often close together: gallop from `from` first.
    let low = from;
    let high = this.size;
    for (let step = BLOCK_BYTES / 4; low + step < this.size; step *= 2) {
      const start = this.lineStartFrom(low + step);
      if (start >= this.size) break;
      const { text, end } = this.lineAt(start);
      if (this.entityOf(text, start) >= entity) {
        high = start;
        break;
      }
      low = end;
    }
    while (low < high) {
      const start = this.lineStartFrom(low + Math.floor((high - low) / 2));
      const probe = start < high ? start : low;
      const { text, end } = this.lineAt(probe);
      if (this.entityOf(text, probe) < entity) low = end;
      else if (probe === low) return low;
      else high = probe;
    }
    return low;
  }

  /** The line starting at `start` (without its newline) and where the next one starts. */
  lineAt(start: number): { text: string; end: number } {
    const parts: Buffer[] = [];
    for (let position = start; position < this.size; ) {
      const block = this.block(position);
      const offset = position % BLOCK_BYTES;
      const newline = block.indexOf(NEWLINE, offset);
      if (newline >= 0) {
        const end = position - offset + newline + 1;
        // Most lines lie within one block: no copy.
        if (parts.length === 0) return { text: block.toString('utf8', offset, newline), end };
        parts.push(block.subarray(offset, newline));
        return { text: Buffer.concat(parts).toString('utf8'), end };
      }
      parts.push(block.subarray(offset));
      position += block.length - offset;
    }
    throw this.corrupt(start, 'the last line has no newline');
  }

  entityOf(text: string, position: number): string {
    const entity = entityOfLine(text);
    if (entity === undefined) throw this.corrupt(position, `not a version line: ${text.slice(0, 200)}`);
    return entity;
  }

  parse(text: string, position: number): StateVersion {
    const write = parseLogLine(text);
    if (typeof write === 'string') throw this.corrupt(position, write);
    return write.version;
  }

  /** The first line start at or after `position`. */
  private lineStartFrom(position: number): number {
    if (position === 0) return 0;
    for (let at = position - 1; at < this.size; ) {
      const block = this.block(at);
      const offset = at % BLOCK_BYTES;
      const newline = block.indexOf(NEWLINE, offset);
      if (newline >= 0) return at - offset + newline + 1;
      at += block.length - offset;
    }
    return this.size;
  }

  private block(position: number): Buffer {
    const index = Math.floor(position / BLOCK_BYTES);
    let block = this.blocks.get(index);
    if (block === undefined) {
      const start = index * BLOCK_BYTES;
      block = Buffer.alloc(Math.min(BLOCK_BYTES, this.size - start));
      const read = readSync(this.fd, block, 0, block.length, start);
      if (read < block.length) throw this.corrupt(start, 'shorter than its size');
      if (this.blocks.size >= LOOKUP_CACHE_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
      this.blocks.set(index, block);
    }
    return block;
  }

  private corrupt(position: number, problem: string): Error {
    return corruptSorted(this.filePath, `at byte ${position}: ${problem}`);
  }
}

export interface MergeOptions {
  readonly fsync: boolean;
  /** Entities left out of the new file (a user being forgotten). */
  readonly drop?: (entity: EntityKey) => boolean;
}

/**
 * Writes the next sorted file, the merge of the sorted file's lines and `log` (each entity's log lines in
 * log order), to a temporary file beside it (fsynced when `fsync`), and returns its path: `installSorted`
 * renames it over the sorted file. An entity found in both is replayed (sorted lines, then log lines) and
 * written as its state, an entity found in one only is copied. Streams the old file, so memory is `log`
 * plus a few chunks, and takes no lock: the caller decides when the result may replace the old file.
 */
export async function writeMergedSorted(
  filePath: string,
  log: ReadonlyMap<EntityKey, readonly StateVersion[]>,
  options: MergeOptions,
): Promise<{ readonly tempPath: string; readonly dropped: ReadonlySet<EntityKey> }> {
  const dir = path.dirname(filePath);
  const tempPath = path.join(dir, tempFileName(path.basename(filePath)));
  const logEntities = [...log.keys()].sort();
  const dropped = new Set<EntityKey>();
  const out = await fs.open(tempPath, 'wx');
  try {
    let pending = '';
    const emit = async (text: string): Promise<void> => {
      pending += text;
      if (pending.length >= MERGE_CHUNK_BYTES) {
        await out.write(pending);
        pending = '';
      }
    };
    let next = 0;
    /** Writes the log's entities that sort before `entity` (all of them when undefined). */
    const emitLogBefore = async (entity: string | undefined): Promise<void> => {
      for (; next < logEntities.length && (entity === undefined || (logEntities[next] as string) < entity); next++) {
        const logEntity = logEntities[next] as EntityKey;
        if (options.drop?.(logEntity)) dropped.add(logEntity);
        else await emit(stateLines(logEntity, replayed([], log.get(logEntity) ?? [])));
      }
    };
    /** One entity's lines of the old file, copied or merged with the log's. */
    const emitGroup = async (entity: EntityKey, lines: readonly string[]): Promise<void> => {
      await emitLogBefore(entity);
      const fromLog = logEntities[next] === entity ? log.get(entity) : undefined;
      if (fromLog !== undefined) next += 1;
      if (options.drop?.(entity)) {
        dropped.add(entity);
        return;
      }
      if (fromLog === undefined) {
        await emit(lines.map((line) => `${line}\n`).join(''));
        return;
      }
      const sorted = lines.map((line) => {
        const write = parseLogLine(line);
        if (typeof write === 'string') throw corruptSorted(filePath, write);
        return write.version;
      });
      await emit(stateLines(entity, replayed(sorted, fromLog)));
    };
    let group: { entity: EntityKey; lines: string[] } | undefined;
    for await (const line of sortedLines(filePath)) {
      const entity = entityOfLine(line);
      if (entity === undefined) throw corruptSorted(filePath, `not a version line: ${line.slice(0, 200)}`);
      if (group !== undefined && entity === group.entity) {
        group.lines.push(line);
        continue;
      }
      if (group !== undefined) {
        if (entity < group.entity) throw corruptSorted(filePath, `${entity} comes after ${group.entity}`);
        await emitGroup(group.entity, group.lines);
      }
      group = { entity, lines: [line] };
    }
    if (group !== undefined) await emitGroup(group.entity, group.lines);
    await emitLogBefore(undefined);
    if (pending.length > 0) await out.write(pending);
    if (options.fsync) await out.sync();
  } catch (error) {
    await out.close();
    await fs.rm(tempPath, { force: true });
    throw error;
  }
  await out.close();
  return { tempPath, dropped };
}

/** Renames a file `writeMergedSorted` wrote over the sorted file (and fsyncs the folder when `fsync`). */
export async function installSorted(tempPath: string, filePath: string, fsync: boolean): Promise<void> {
  await fs.rename(tempPath, filePath);
  if (fsync) await fsyncDirectory(path.dirname(filePath));
}

/** The entities of the sorted file for which `match` holds (deleteUser counts them before dropping). */
export async function sortedEntitiesWhere(filePath: string, match: (entity: EntityKey) => boolean): Promise<Set<EntityKey>> {
  const entities = new Set<EntityKey>();
  for await (const line of sortedLines(filePath)) {
    const entity = entityOfLine(line);
    if (entity !== undefined && match(entity)) entities.add(entity);
  }
  return entities;
}

function replayed(first: readonly StateVersion[], then: readonly StateVersion[]): Map<string, StateVersion> {
  const byUuid = new Map<string, StateVersion>();
  for (const version of first) replayVersion(byUuid, version);
  for (const version of then) replayVersion(byUuid, version);
  return byUuid;
}

/** The lines of the sorted file, a chunk at a time (none when it does not exist). */
async function* sortedLines(filePath: string): AsyncGenerator<string> {
  let handle;
  try {
    handle = await fs.open(filePath, 'r');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return;
    throw error;
  }
  try {
    let carry = Buffer.alloc(0);
    for (let position = 0; ; ) {
      const chunk = Buffer.alloc(MERGE_CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const end = data.lastIndexOf(NEWLINE);
      if (end < 0) {
        carry = data;
        continue;
      }
      yield* data.subarray(0, end).toString('utf8').split('\n');
      carry = data.subarray(end + 1);
    }
    if (carry.length > 0) throw corruptSorted(filePath, 'the last line has no newline');
  } finally {
    await handle.close();
  }
}

function corruptSorted(filePath: string, problem: string): Error {
  return new Error(
    `${filePath} is corrupt: ${problem}. Restore the state folder from a backup, or delete it and rebuild the state with a backfill`,
  );
}
