import { randomBytes } from 'node:crypto';
import { closeSync, openSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { EntityKey, StateVersion } from '../../ports/state-store';
import { fsyncDirectory, ifExists, isErrnoCode, tempFileName } from './atomic-write';
import { IndexBuilder, readFully, readIndex, readLayout, type SortedIndex, type SortedLayout } from './sorted-index';
import { ENTITY_PREFIX, entityOfLine, entityVersions, FieldsDictionary, replayVersion, stateLine, type Fields } from './version-lines';

/**
 * The compacted part of the file state store: `versions.sorted.ndjson`, every entity's state as one line
 * (`stateLine`, its base first; a file written before state lines has a line per version), sorted by entity
 * (JavaScript string order, what merges rely on), followed by an index of where each entity's lines are
 * (sorted-index.ts), so a lookup reads only the lines it needs. The file is
 * only ever replaced whole (a temporary file renamed over it), never appended to, so a reader holding it open
 * reads one version of it.
 */

/** Lines to read apart by at most this many bytes are read in one read. */
const COALESCE_GAP_BYTES = 16 * 1024;
/** A coalesced read stops growing at this size. */
const MAX_READ_BYTES = 1024 * 1024;
/** Bytes read and written at a time while merging. */
const MERGE_CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads entities' lines from the sorted file at `filePath`, keeping the index of the file version it last
 * read (one per FileStateStore instance): reopened per call, so a compaction's new file is seen at once.
 */
export class SortedVersionsReader {
  private index: SortedIndex | undefined;
  /** Reused for every read (what is kept of it is decoded to strings first): no 1 MiB of garbage per read. */
  private buffer = Buffer.alloc(0);

  constructor(private readonly filePath: string) {}

  /** The lines of each of `entities` found in the sorted file (none when it does not exist). */
  async lookup(entities: readonly EntityKey[]): Promise<Map<EntityKey, StateVersion[]>> {
    const found = new Map<EntityKey, StateVersion[]>();
    let fd: number;
    try {
      fd = openSync(this.filePath, 'r');
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return found;
      throw error;
    }
    try {
      const corrupt = (problem: string) => corruptSorted(this.filePath, problem);
      const layout = readLayout(fd, corrupt);
      if (this.index?.id !== layout.id) {
        this.index = undefined; // the old one is garbage before the new one is built
        this.index = layout.indexed ? readIndex(fd, layout, corrupt) : await indexLines(this.filePath, layout);
      }
      const index = this.index;
      // The index rows to read (entity's own, or a colliding entity's: told apart by the lines' entity),
      // in file order.
      const rows: number[] = [];
      const owners: EntityKey[] = [];
      for (const entity of new Set(entities)) {
        index.rowsOf(entity, rows);
        while (owners.length < rows.length) owners.push(entity);
      }
      // Rows are numbered in file order: row * 2^21 + i sorts by position and still names the owner (i < 2^21).
      if (rows.length >= OWNER_LIMIT) throw new RangeError(`SortedVersionsReader: at most ${OWNER_LIMIT - 1} entities per lookup, got ${rows.length}`);
      const order = new Float64Array(rows.length);
      for (let i = 0; i < order.length; i++) order[i] = (rows[i] as number) * OWNER_LIMIT + i;
      order.sort();
      const { offsets, lengths } = index;
      // Reads are synchronous: a few small reads of a file the page cache mostly holds, where an await per
      // read would cost more than the read. Close spans share one read.
      for (let first = 0; first < order.length; ) {
        const start = offsets[rowAt(order, first)] as number;
        let end = start;
        let next = first;
        for (; next < order.length; next++) {
          const row = rowAt(order, next);
          const offset = offsets[row] as number;
          const length = lengths[row] as number;
          if (next > first && (offset - end > COALESCE_GAP_BYTES || offset + length - start > MAX_READ_BYTES)) break;
          end = Math.max(end, offset + length);
        }
        if (end > index.dataEnd) throw corrupt(`its index points past its lines (byte ${end} of ${index.dataEnd})`);
        const bytes = this.scratch(end - start);
        readFully(fd, bytes, start, corrupt);
        for (let t = first; t < next; t++) {
          const entity = owners[(order[t] as number) % OWNER_LIMIT] as EntityKey;
          const row = rowAt(order, t);
          const offset = offsets[row] as number;
          const text = bytes.toString('utf8', offset - start, offset - start + (lengths[row] as number));
          if (!text.endsWith('\n')) throw corrupt(`at byte ${offset}: the index points inside a line`);
          // Another entity with the same hash: its lines, not this one's (read from its first line).
          if (entityOfLine(text.slice(0, text.indexOf('\n'))) !== entity) continue;
          const versions = entityVersions(entity, text, index.fields);
          if (typeof versions === 'string') throw corrupt(`at byte ${offset} (${entity}'s lines), ${versions}`);
          found.set(entity, versions);
        }
        first = next;
      }
    } finally {
      closeSync(fd);
    }
    return found;
  }

  private scratch(bytes: number): Buffer {
    if (this.buffer.length < bytes) this.buffer = Buffer.allocUnsafe(Math.max(bytes, MAX_READ_BYTES));
    return this.buffer.subarray(0, bytes);
  }
}

const OWNER_LIMIT = 2 ** 21;
const rowAt = (order: Float64Array, i: number): number => Math.floor((order[i] as number) / OWNER_LIMIT);

/** The index of a sorted file written before files had one: its lines read once. */
async function indexLines(filePath: string, layout: SortedLayout): Promise<SortedIndex> {
  const builder = new IndexBuilder();
  let position = 0;
  for await (const { entity, bytes } of sortedGroups(filePath)) {
    builder.add(entity, position, bytes.length);
    position += bytes.length;
  }
  return builder.build(layout.dataEnd, [], layout.id);
}

/** One entity's lines in the sorted file, newlines included. */
interface EntityGroup {
  readonly entity: EntityKey;
  readonly bytes: Buffer;
}

/**
 * The sorted file's entities in file order, each with its lines' bytes (none when it does not exist):
 * whole groups read a chunk at a time by the index, so a merge copies an entity it does not change without
 * decoding it. A file without index is read line by line instead.
 */
async function* sortedGroups(filePath: string, onFields?: (fields: readonly Fields[]) => void): AsyncGenerator<EntityGroup> {
  const handle = await ifExists(fs.open(filePath, 'r'));
  if (handle === undefined) return;
  try {
    const corrupt = (problem: string) => corruptSorted(filePath, problem);
    const layout = readLayout(handle.fd, corrupt);
    if (!layout.indexed) {
      onFields?.([]);
      yield* unindexedGroups(filePath);
      return;
    }
    const { offsets, lengths, fields } = readIndex(handle.fd, layout, corrupt);
    onFields?.(fields);
    let previous = '';
    let position = 0;
    for (let first = 0; first < offsets.length; ) {
      // Whole rows, about a chunk's worth (at least one).
      let next = first + 1;
      while (next < offsets.length && (offsets[next] as number) + (lengths[next] as number) - position <= MERGE_CHUNK_BYTES) next++;
      const end = (offsets[next - 1] as number) + (lengths[next - 1] as number);
      const chunk = Buffer.allocUnsafe(end - position);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead < chunk.length || end > layout.dataEnd) throw corrupt(`its index points past its lines (byte ${end} of ${layout.dataEnd})`);
      for (let row = first; row < next; row++) {
        const at = (offsets[row] as number) - position;
        const bytes = chunk.subarray(at, at + (lengths[row] as number));
        if (at !== (row === first ? 0 : (offsets[row - 1] as number) + (lengths[row - 1] as number) - position) || bytes.at(-1) !== NEWLINE) {
          throw corrupt(`its index does not cover its lines one after the other (row ${row}, byte ${offsets[row]})`);
        }
        const entity = entityOfGroup(bytes);
        if (entity === undefined) throw corrupt(`at byte ${offsets[row]}: not a version line`);
        if (entity <= previous) throw corrupt(`${entity} comes after ${previous}`);
        previous = entity;
        yield { entity, bytes };
      }
      position = end;
      first = next;
    }
    if (position !== layout.dataEnd) throw corrupt(`its index covers ${position} of its ${layout.dataEnd} bytes of lines`);
  } finally {
    await handle.close();
  }
}

/** The groups of a file without index, from its lines. */
async function* unindexedGroups(filePath: string): AsyncGenerator<EntityGroup> {
  let group: { entity: EntityKey; lines: string[] } | undefined;
  const whole = (done: { entity: EntityKey; lines: string[] }): EntityGroup => ({
    entity: done.entity,
    bytes: Buffer.from(done.lines.map((line) => `${line}\n`).join('')),
  });
  for await (const line of sortedLines(filePath)) {
    const entity = entityOfLine(line);
    if (entity === undefined) throw corruptSorted(filePath, `not a version line: ${line.slice(0, 200)}`);
    if (group !== undefined && entity === group.entity) {
      group.lines.push(line);
      continue;
    }
    if (group !== undefined) {
      if (entity < group.entity) throw corruptSorted(filePath, `${entity} comes after ${group.entity}`);
      yield whole(group);
    }
    group = { entity, lines: [line] };
  }
  if (group !== undefined) yield whole(group);
}

/** The entity of a group's first line: `entityOfLine`'s shortcut, on the bytes, so a copied group is never decoded. */
function entityOfGroup(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, ENTITY_PREFIX_BYTES.length).equals(ENTITY_PREFIX_BYTES)) {
    const end = bytes.indexOf(0x22, ENTITY_PREFIX_BYTES.length);
    if (end > 0) {
      const name = bytes.toString('utf8', ENTITY_PREFIX_BYTES.length, end);
      if (!name.includes('\\')) return name;
    }
  }
  return entityOfLine(bytes.toString('utf8', 0, bytes.indexOf(NEWLINE)));
}

const ENTITY_PREFIX_BYTES = Buffer.from(ENTITY_PREFIX);

export interface MergeOptions {
  readonly fsync: boolean;
  /** Entities left out of the new file (a user being forgotten). */
  readonly drop?: (entity: EntityKey) => boolean;
}

/**
 * Writes the next sorted file, the merge of the sorted file's lines and `log` (each entity's log lines in
 * log order), to a temporary file beside it (fsynced when `fsync`), and returns its path: `installSorted`
 * renames it over the sorted file. An entity found in both is replayed (sorted lines, then log lines) and
 * written as its state, an entity found in one only is copied (an old one as its bytes, not decoded). Streams
 * the old file, so memory is `log` plus a few chunks, and takes no lock: the caller decides when the result
 * may replace the old file.
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
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let written = 0;
    const index = new IndexBuilder();
    /** Writes one entity's lines (its whole state) and notes where they are. */
    const emit = async (entity: EntityKey, lines: string | Buffer): Promise<void> => {
      if (lines.length === 0) return;
      const bytes = typeof lines === 'string' ? Buffer.from(lines) : lines;
      index.add(entity, written, bytes.length);
      written += bytes.length;
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= MERGE_CHUNK_BYTES) await flush();
    };
    const flush = async (): Promise<void> => {
      await out.write(Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
    };
    // The old file's dictionary (read when its groups are opened), grown by the lines written anew: it only
    // appends, so it also reads the old file's lines.
    let dictionary = new FieldsDictionary([]);
    let next = 0;
    /** Writes the log's entities that sort before `entity` (all of them when undefined). */
    const emitLogBefore = async (entity: string | undefined): Promise<void> => {
      for (; next < logEntities.length && (entity === undefined || (logEntities[next] as string) < entity); next++) {
        const logEntity = logEntities[next] as EntityKey;
        if (options.drop?.(logEntity)) dropped.add(logEntity);
        else await emit(logEntity, stateLine(logEntity, replayed([], log.get(logEntity) ?? []), dictionary));
      }
    };
    const opened = (fields: readonly Fields[]) => {
      dictionary = new FieldsDictionary(fields);
    };
    for await (const { entity, bytes } of sortedGroups(filePath, opened)) {
      await emitLogBefore(entity);
      const fromLog = logEntities[next] === entity ? log.get(entity) : undefined;
      if (fromLog !== undefined) next += 1;
      if (options.drop?.(entity)) {
        dropped.add(entity);
      } else if (fromLog === undefined) {
        await emit(entity, bytes);
      } else {
        const sorted = entityVersions(entity, bytes.toString('utf8'), dictionary.entries);
        if (typeof sorted === 'string') throw corruptSorted(filePath, `${entity}'s lines, ${sorted}`);
        await emit(entity, stateLine(entity, replayed(sorted, fromLog), dictionary));
      }
    }
    await emitLogBefore(undefined);
    if (pendingBytes > 0) await flush();
    await out.write(index.toBytes(written, dictionary.entries, randomBytes(8)));
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
  for await (const { entity } of sortedGroups(filePath)) if (match(entity)) entities.add(entity);
  return entities;
}

function replayed(first: readonly StateVersion[], then: readonly StateVersion[]): Map<string, StateVersion> {
  const byUuid = new Map<string, StateVersion>();
  for (const version of first) replayVersion(byUuid, version);
  for (const version of then) replayVersion(byUuid, version);
  return byUuid;
}

/** The lines of the sorted file (its index left out), a chunk at a time (none when it does not exist). */
export async function* sortedLines(filePath: string): AsyncGenerator<string> {
  const handle = await ifExists(fs.open(filePath, 'r'));
  if (handle === undefined) return;
  try {
    const { dataEnd } = readLayout(handle.fd, (problem) => corruptSorted(filePath, problem));
    let carry = Buffer.alloc(0);
    for (let position = 0; position < dataEnd; ) {
      const chunk = Buffer.alloc(Math.min(MERGE_CHUNK_BYTES, dataEnd - position));
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
