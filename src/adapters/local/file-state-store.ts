import {
  checkCheckpointWrite,
  checkLeaseRequest,
  checkName,
  checkVersionWrite,
  isCount,
  isFiniteNumber,
  isPendingBatch,
} from '../state-store-checks';
import { applyVersions, foldLimits, groupByEntity, storedVersion, type FoldLimits } from '../version-fold';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointConflictError, InvalidInputError, TransientError } from '../../errors';
import {
  isEntityOfUser,
  type Checkpoint,
  type CheckpointWrite,
  type EntityKey,
  type LeaseInfo,
  type LeaseRequest,
  type LeaseResult,
  type StateStore,
  type StateVersion,
  type VersionWrite,
} from '../../ports/state-store';
import { AsyncMutex } from '../async-mutex';
import { fsyncDirectory, ifExists, isErrnoCode, writeFileAtomic } from './atomic-write';
import { tryWithFileLock, withFileLock } from './file-lock';
import { processExists } from './process-exists';
import { installSorted, SortedVersionsReader, sortedEntitiesWhere, writeMergedSorted } from './sorted-versions';
import { isRecord, parseLogLine, replayVersion, toLogLine } from './version-lines';

export interface FileStateStoreOptions {
  /**
   * How long a call waits for a lock held by another process (or another instance on the same folder)
   * before it throws `TransientError`.
   * @default 5000
   */
  readonly lockTimeoutMs?: number;
  /**
   * A lock file older than this was left by a crashed process and is broken. Every locked section is
   * short (one append, one small file, or a compaction's install: the lines appended during its merge),
   * far below this. A compaction's merge holds its own lock (stale after 10 minutes).
   * @default 30000
   */
  readonly staleLockMs?: number;
  /**
   * fsync every append and every replaced file (and its folder), so what a call wrote survives a power
   * loss. Turn off only for throwaway folders.
   * @default true
   */
  readonly fsync?: boolean;
  /**
   * Versions older than an entity's newest by more than this many days are folded into its base
   * (src/adapters/version-fold.ts), as in the DynamoDB store. @default 7
   */
  readonly horizonDays?: number;
  /**
   * Once the version log holds this many bytes, a write compacts it into the sorted file: what an instance
   * holds in memory is at most this much of log, whatever the number of entities. @default 16 MiB
   */
  readonly compactBytes?: number;
}

const VERSIONS_FILE = 'versions.ndjson';
const SORTED_FILE = 'versions.sorted.ndjson';
const DEFAULT_COMPACT_BYTES = 16 * 1024 * 1024;
/** The first line of a log started by a compaction: a random id, so a reader never takes it for the log it read before. */
const LOG_HEADER_PREFIX = '{"log":"';
/** Bytes of the log's head an instance compares to notice the log was replaced (an inode number can be reused). */
const HEAD_BYTES = 64;
/** Held while a compaction merges (long, outside the log's lock): one compaction at a time. */
const COMPACT_LOCK = `${SORTED_FILE}.compact.lock`;
/** A compaction lock older than this was left by a crashed compaction. Far above any merge's duration. */
const COMPACT_STALE_MS = 10 * 60_000;
const NEWLINE = 0x0a;
/** Log bytes read per step when loading or catching up, so a large log never becomes one huge string. */
const READ_CHUNK_BYTES = 8 * 1024 * 1024;
const CHECKPOINT_FILE = /^checkpoint-(.+)\.json$/;

/**
 * The state store of the local runtime: plain files in one folder, safe for several processes at once.
 *
 * Open it with `await FileStateStore.open(dir)`: it creates the folder and reads the version log.
 *
 * Layout of `dir`:
 * - `versions.ndjson`: append-only log of state versions, one JSON object per line (version-lines.ts).
 *   Each instance keeps the log's lines in memory, per entity, caught up from the log's tail on each
 *   call, so versions written by another process are seen. Appends happen under `versions.ndjson.lock`
 *   after a catch-up, which makes put-if-absent (first wins) hold across processes, with one datasync per
 *   call. A torn last line (a crash mid-append) is ignored and cut off by the next append.
 *   Each write folds the entity as the DynamoDB store does (`applyVersions`, src/adapters/version-fold.ts)
 *   and appends the versions it keeps plus, when the fold changed it, the entity's base (a line with
 *   eventUuid `FOLDED_BASE_UUID`). Replaying a base line replaces the base and drops the versions at or
 *   before its createdAt, which are exactly the ones the fold folded (`replayVersion`), so a replay
 *   rebuilds the same versions without running the fold again.
 * - `versions.sorted.ndjson`: the log compacted: every entity's state (base first) sorted by entity, then
 *   an index of where each entity's lines are (sorted-versions.ts, sorted-index.ts). Once the log holds
 *   `compactBytes` (16 MiB), the writer that crossed it merges the log into a new sorted file and starts a
 *   new log (`compact`), holding `versions.sorted.ndjson.compact.lock` (one compaction at a time; the
 *   others do not wait) but not the log's lock while it merges. A read or a
 *   fold reads an entity's lines where the index says (the index is loaded once per version of the file)
 *   and replays its log lines, if any, over them.
 *
 *   Memory: an instance holds the log since the last compaction, at most about `compactBytes` of lines,
 *   whatever the number of entities or the history (`indexedVersions`). Before the sorted file, every
 *   instance (the main process and each slice worker thread, which opens the store for each slice Map)
 *   indexed the whole log: measured with bench/batch-memory.ts on 2M events, 160k versions (28 MiB of log)
 *   took 42 MiB of heap and up to 2 s to load per open, growing with every batch (docs/performance.md).
 *   Disk: the sorted file is rewritten at each compaction (about once per `compactBytes` of log; an entity
 *   the log did not change is copied as bytes), so its cost grows with the number of entities; a read costs
 *   a hash lookup in the index and the parse of the entity's lines (~5 µs per entity at 10M events).
 * - `lease-<name>.json`: `{owner, expiresAtMs}`; read-modify-write under `lease-<name>.json.lock`.
 * - `checkpoint-<name>.json` + `ledger-<name>.ndjson`: see `putCheckpoint` for why the processed ledger
 *   can be a separate append-only file and still be atomic with the checkpoint.
 *
 * Locks are files created with `O_EXCL` (see file-lock.ts); replaced files are written to a temporary
 * file and renamed (see atomic-write.ts).
 */
export class FileStateStore implements StateStore {
  readonly dir: string;
  private readonly fsync: boolean;
  private readonly limits: FoldLimits;
  private readonly lockOptions: { readonly timeoutMs: number; readonly staleMs: number };
  /** Calls of this instance queue per lock instead of spinning on their own lock file. */
  private readonly mutexes = new Map<string, AsyncMutex>();

  private readonly compactBytes: number;
  /** The log's lines read so far, per entity, in log order (replayed over the sorted file's lines by reads). */
  private readonly versions = new Map<EntityKey, StateVersion[]>();
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();
  private readonly log: LogCursor = { bytesRead: 0, linesRead: 0, inode: undefined, head: undefined };
  private readonly ledgers = new Map<string, LedgerCache>();
  /** Reads the sorted file, keeping the index of its current version. */
  private readonly sorted: SortedVersionsReader;

  private constructor(dir: string, options: FileStateStoreOptions) {
    this.dir = dir;
    this.fsync = options.fsync ?? true;
    this.limits = foldLimits(options.horizonDays);
    this.compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.sorted = new SortedVersionsReader(path.join(dir, SORTED_FILE));
    if (!Number.isInteger(this.compactBytes) || this.compactBytes < 1) {
      throw new InvalidInputError(`FileStateStore: compactBytes must be a positive integer, got ${this.compactBytes}`);
    }
    this.lockOptions = { timeoutMs: options.lockTimeoutMs ?? 5000, staleMs: options.staleLockMs ?? 30_000 };
  }

  /** Creates `dir` when missing and loads the version log. */
  static async open(dir: string, options: FileStateStoreOptions = {}): Promise<FileStateStore> {
    if (dir.length === 0) throw new InvalidInputError('FileStateStore: dir must not be empty');
    const store = new FileStateStore(path.resolve(dir), options);
    await fs.mkdir(store.dir, { recursive: true });
    await store.mutex(VERSIONS_FILE).run(() => store.catchUpVersions());
    return store;
  }

  // ---------------------------------------------------------------- versions

  async putVersions(writes: readonly VersionWrite[]): Promise<void> {
    writes.forEach(checkVersionWrite);
    if (writes.length === 0) return;
    const logPath = this.pathOf(VERSIONS_FILE);
    await this.locked(VERSIONS_FILE, async () => {
      const logSize = await this.catchUpVersions();
      // Under the lock nobody else is appending: bytes past the last whole line are a crashed append.
      if (logSize > this.log.bytesRead) await fs.truncate(logPath, this.log.bytesRead);

      // Fold each entity as the DynamoDB store does; the index changes only once the append succeeded.
      const grouped = groupByEntity(writes);
      const current = await this.currentVersions([...grouped.keys()]);
      const lines: VersionWrite[] = [];
      for (const [entity, incoming] of grouped) {
        const applied = applyVersions(current.get(entity) ?? [], incoming.map(storedVersion), this.limits);
        if (!applied.changed) continue;
        if (applied.newBase !== undefined) lines.push({ entity, version: applied.newBase });
        for (const version of applied.added) lines.push({ entity, version });
      }
      if (lines.length === 0) return;

      const bytes = Buffer.from(lines.map(toLogLine).join(''), 'utf8');
      const handle = await fs.open(logPath, 'a');
      try {
        await handle.writeFile(bytes);
        if (this.fsync) await handle.datasync();
        this.log.inode = (await handle.stat()).ino;
      } finally {
        await handle.close();
      }
      if (this.fsync && this.log.bytesRead === 0) await fsyncDirectory(this.dir);
      // A copy: a view would keep the whole appended buffer alive.
      if (this.log.bytesRead === 0) this.log.head = Buffer.from(bytes.subarray(0, HEAD_BYTES));
      this.log.bytesRead += bytes.length;
      this.log.linesRead += lines.length;
      for (const { entity, version } of lines) this.index(entity, version);
    });
    if (this.log.bytesRead >= this.compactBytes) {
      // One compaction at a time: when another instance is compacting, the log is left to it.
      await tryWithFileLock(this.pathOf(COMPACT_LOCK), COMPACT_STALE_MS, () => this.compact());
    }
  }

  /**
   * What this instance holds of the version log in memory: entities and lines of the log since its last
   * compaction (diagnostics, bench/batch-memory.ts, and the test that bounds it).
   */
  indexedVersions(): { readonly entities: number; readonly versions: number } {
    let versions = 0;
    for (const lines of this.versions.values()) versions += lines.length;
    return { entities: this.versions.size, versions };
  }

  async getVersions(entities: readonly EntityKey[]): Promise<Map<EntityKey, StateVersion[]>> {
    // The log first, then the sorted file: a compaction by another process in between moves lines already
    // read into the sorted file, and replaying them twice is a no-op (replayVersion).
    return this.mutex(VERSIONS_FILE).run(async () => {
      await this.catchUpVersions();
      return this.currentVersions(entities);
    });
  }

  /**
   * Forgets the user: compacts the log into a new sorted file without the user's entities and starts a new
   * log without their lines (`compact`), so no line of either names the user any more. Waits for a
   * compaction under way. Other instances notice the new log and reload it. A crash between the two renames
   * leaves the user's lines of the log: the caller's retry (a forget is retried until it succeeds) removes
   * them.
   */
  async deleteUser(userUuid: string): Promise<number> {
    checkName('user uuid', userUuid);
    const ofUser = (entity: EntityKey) => isEntityOfUser(entity, userUuid);
    const waitMs = Math.max(this.lockOptions.timeoutMs, COMPACT_STALE_MS);
    return withFileLock(this.pathOf(COMPACT_LOCK), { timeoutMs: waitMs, staleMs: COMPACT_STALE_MS }, async () => {
      await this.mutex(VERSIONS_FILE).run(() => this.catchUpVersions());
      const doomed = await sortedEntitiesWhere(this.pathOf(SORTED_FILE), ofUser);
      for (const entity of this.versions.keys()) if (ofUser(entity)) doomed.add(entity);
      if (doomed.size === 0) return 0;
      const dropped = await this.compact(ofUser);
      for (const entity of dropped) doomed.add(entity);
      return doomed.size;
    });
  }

  /** Each entity's versions: its lines in the sorted file, then its lines of the log read so far. */
  private async currentVersions(entities: readonly EntityKey[]): Promise<Map<EntityKey, StateVersion[]>> {
    const sorted = await this.sorted.lookup(entities);
    for (const entity of new Set(entities)) {
      const logged = this.versions.get(entity);
      // An entity's sorted lines are its state already (written replayed): only log lines need a replay.
      if (logged === undefined) continue;
      const byUuid = new Map<string, StateVersion>();
      for (const version of sorted.get(entity) ?? []) replayVersion(byUuid, version);
      for (const version of logged) replayVersion(byUuid, version);
      sorted.set(entity, [...byUuid.values()]);
    }
    return sorted;
  }

  /**
   * Merges the log into the sorted file, holding the compaction lock (the caller takes it) but not the log's
   * lock, so writers go on appending meanwhile; returns the entities `drop` left out (of the merged part and
   * of the lines appended meanwhile).
   * 1. Under the log's lock: the log's whole lines so far (its prefix), and which log and sorted file they are.
   * 2. No lock: `writeMergedSorted` writes the next sorted file (the old one's lines and the prefix's).
   * 3. Under the log's lock, if neither file was replaced meanwhile: rename it over the sorted file, then
   *    replace the log with a new one (a random header line, then the whole lines appended during step 2).
   * A crash between the two renames leaves the prefix in both files, which replays to the same versions
   * (replayVersion); the next compaction merges it again.
   */
  private async compact(drop?: (entity: EntityKey) => boolean): Promise<ReadonlySet<EntityKey>> {
    const sortedPath = this.pathOf(SORTED_FILE);
    const logPath = this.pathOf(VERSIONS_FILE);
    const prefix = await this.locked(VERSIONS_FILE, async () => {
      await this.catchUpVersions();
      return {
        bytes: this.log.bytesRead,
        lines: new Map([...this.versions].map(([entity, lines]) => [entity, [...lines]])),
        inode: this.log.inode,
        head: this.log.head,
        sortedInode: await inodeOf(sortedPath),
      };
    });
    const merged = await writeMergedSorted(sortedPath, prefix.lines, { fsync: this.fsync, ...(drop ? { drop } : {}) });
    const dropped = new Set(merged.dropped);
    const installed = await this.locked(VERSIONS_FILE, async () => {
      const logSize = await this.catchUpVersions();
      const sameLog =
        this.log.inode === prefix.inode && sameBytes(this.log.head, prefix.head) && this.log.bytesRead >= prefix.bytes;
      if (!sameLog || (await inodeOf(sortedPath)) !== prefix.sortedInode) return false;
      // Under the lock nobody else is appending: bytes past the last whole line are a crashed append.
      if (logSize > this.log.bytesRead) await fs.truncate(logPath, this.log.bytesRead);
      let tail = await readRange(logPath, prefix.bytes, this.log.bytesRead);
      if (drop !== undefined) {
        const kept = tail.split('\n').filter((line) => {
          const write = line === '' ? undefined : parseLogLine(line);
          if (write === undefined || typeof write === 'string' || !drop(write.entity)) return true;
          dropped.add(write.entity);
          return false;
        });
        tail = kept.join('\n');
      }
      await installSorted(merged.tempPath, sortedPath, this.fsync);
      const header = `${LOG_HEADER_PREFIX}${randomBytes(8).toString('hex')}"}\n`;
      await writeFileAtomic(logPath, header + tail, { fsync: this.fsync });
      this.resetVersions();
      await this.catchUpVersions();
      return true;
    });
    if (!installed) {
      await fs.rm(merged.tempPath, { force: true });
      if (drop !== undefined) throw new TransientError(`${logPath} was replaced during a compaction: retry`);
    }
    return dropped;
  }

  /**
   * Reads the whole lines appended to the log since the last call into the index and returns the log's
   * size. A partial last line is left for later: it is either being written or was torn by a crash.
   * Callers hold the versions mutex.
   */
  private async catchUpVersions(): Promise<number> {
    const logPath = this.pathOf(VERSIONS_FILE);
    let handle: FileHandle;
    try {
      handle = await fs.open(logPath, 'r');
    } catch (error) {
      if (!isErrnoCode(error, 'ENOENT')) throw error;
      if (this.log.inode !== undefined) this.resetVersions();
      return 0;
    }
    try {
      const { size, ino } = await handle.stat();
      // A different file (replaced by a compaction, or deleted and recreated) or a shorter one than what we
      // read: start over. A replaced log can get the inode number of the one it replaced: its head differs.
      if (ino !== this.log.inode || size < this.log.bytesRead || !(await this.sameHead(handle))) {
        this.resetVersions(ino);
      }
      let position = this.log.bytesRead;
      let carry = Buffer.alloc(0);
      while (position < size) {
        const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, size - position));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const data =
          carry.length === 0
            ? chunk.subarray(0, bytesRead)
            : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        const end = data.lastIndexOf(NEWLINE);
        if (end < 0) {
          carry = data;
          continue;
        }
        if (this.log.bytesRead === 0) this.log.head = Buffer.from(data.subarray(0, Math.min(end + 1, HEAD_BYTES)));
        this.indexLines(logPath, data.subarray(0, end).toString('utf8'));
        this.log.bytesRead += end + 1;
        carry = data.subarray(end + 1);
      }
      return size;
    } finally {
      await handle.close();
    }
  }

  /** Whether the log's first bytes are still those read from it (nothing read yet: trivially). */
  private async sameHead(handle: FileHandle): Promise<boolean> {
    const head = this.log.head;
    if (head === undefined || this.log.bytesRead === 0) return true;
    const now = Buffer.alloc(head.length);
    const { bytesRead } = await handle.read(now, 0, now.length, 0);
    return bytesRead === head.length && now.equals(head);
  }

  private indexLines(logPath: string, text: string): void {
    for (const line of text.split('\n')) {
      this.log.linesRead += 1;
      if (this.log.linesRead === 1 && line.startsWith(LOG_HEADER_PREFIX)) continue;
      const write = parseLogLine(line);
      if (typeof write === 'string') {
        throw new Error(
          `${logPath} line ${this.log.linesRead}: ${write}. The state log is corrupt: restore it from a ` +
            `backup, or delete it and rebuild the state with a backfill`,
        );
      }
      this.index(write.entity, write.version);
    }
  }

  /** Keeps one log line: reads replay an entity's lines in log order (replayVersion). */
  private index(entity: EntityKey, version: StateVersion): void {
    const lines = this.versions.get(entity);
    if (lines === undefined) this.versions.set(entity, [version]);
    else lines.push(version);
  }

  private resetVersions(inode?: number): void {
    this.versions.clear();
    this.log.bytesRead = 0;
    this.log.linesRead = 0;
    this.log.inode = inode;
    this.log.head = undefined;
  }

  // ---------------------------------------------------------------- lease

  /**
   * Takes the lease when it is free, expired, ours, or held by a dead holder: a process of this host that
   * no longer exists, or a holder whose heartbeat stopped (LEASE_STALE_MS), so a killed run never blocks
   * the next ones until its TTL. The checkpoint's compare-and-set still decides who commits.
   */
  async acquireLease(request: LeaseRequest): Promise<LeaseResult> {
    checkLeaseRequest(request);
    const file = `lease-${fileNamePart(request.name)}.json`;
    const result = await this.locked(file, async () => {
      const current = await this.readLease(file);
      const free =
        current === undefined ||
        request.nowMs >= current.expiresAtMs ||
        current.owner === request.owner ||
        holderIsGone(current);
      if (!free) return { acquired: false, holder: current.owner, expiresAtMs: current.expiresAtMs };
      const now = Date.now();
      const lease: LeaseInfo = {
        owner: request.owner,
        acquiredAtMs: request.nowMs,
        expiresAtMs: request.nowMs + request.ttlMs,
        heartbeatAtMs: now,
        pid: process.pid,
        host: hostname(),
      };
      await writeFileAtomic(this.pathOf(file), JSON.stringify({ name: request.name, ...lease }), { fsync: this.fsync });
      return { acquired: true, holder: lease.owner, expiresAtMs: lease.expiresAtMs };
    });
    if (result.acquired) this.startHeartbeat(file, request.owner);
    return result;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    checkName('lease name', name);
    checkName('lease owner', owner);
    const file = `lease-${fileNamePart(name)}.json`;
    this.stopHeartbeat(file, owner);
    return this.locked(file, async () => {
      const current = await this.readLease(file);
      if (current?.owner !== owner) return false;
      await fs.rm(this.pathOf(file), { force: true });
      if (this.fsync) await fsyncDirectory(this.dir);
      return true;
    });
  }

  async describeLease(name: string): Promise<LeaseInfo | undefined> {
    checkName('lease name', name);
    return this.readLease(`lease-${fileNamePart(name)}.json`);
  }

  /** While this process holds the lease, its heartbeat is rewritten every LEASE_HEARTBEAT_MS (unref'd timer). */
  private startHeartbeat(file: string, owner: string): void {
    this.stopHeartbeat(file, owner);
    const timer = setInterval(() => {
      void this.locked(file, async () => {
        const current = await this.readLease(file);
        if (current?.owner !== owner) return this.stopHeartbeat(file, owner);
        await writeFileAtomic(this.pathOf(file), JSON.stringify({ ...current, heartbeatAtMs: Date.now() }), { fsync: false });
      }).catch(() => undefined);
    }, LEASE_HEARTBEAT_MS);
    timer.unref();
    this.heartbeats.set(`${file}\n${owner}`, timer);
  }

  private stopHeartbeat(file: string, owner: string): void {
    const key = `${file}\n${owner}`;
    clearInterval(this.heartbeats.get(key));
    this.heartbeats.delete(key);
  }

  private async readLease(file: string): Promise<LeaseInfo | undefined> {
    const json = await this.readJson(file);
    if (json === undefined) return undefined;
    if (!isRecord(json) || typeof json.owner !== 'string' || !isFiniteNumber(json.expiresAtMs)) {
      throw corruptFile(this.pathOf(file), 'expected {"owner": string, "expiresAtMs": number}');
    }
    const optional = (key: string) => (isFiniteNumber(json[key]) ? { [key]: json[key] } : {});
    return {
      owner: json.owner,
      expiresAtMs: json.expiresAtMs,
      ...optional('acquiredAtMs'),
      ...optional('heartbeatAtMs'),
      ...optional('pid'),
      ...(typeof json.host === 'string' ? { host: json.host } : {}),
    };
  }

  // ---------------------------------------------------------------- checkpoint and ledger

  async getCheckpoint(name: string): Promise<Checkpoint> {
    checkName('checkpoint name', name);
    const stored = await this.readCheckpoint(`checkpoint-${fileNamePart(name)}.json`);
    return publicCheckpoint(stored);
  }

  /**
   * Compare-and-set under `checkpoint-<name>.json.lock`. The processed ledger is `ledger-<name>.ndjson`
   * (one JSON string per line) and the checkpoint file records `ledgerBytes`, how much of it is committed:
   *
   * 1. cut the ledger back to the committed `ledgerBytes` (drops what a crashed attempt appended),
   * 2. append `processedKeys` and fsync,
   * 3. replace the checkpoint file (temp + rename) with the new version and the new `ledgerBytes`.
   *
   * Step 3 is the commit point: readers trust only the first `ledgerBytes` of the ledger, so a crash
   * before it leaves both the checkpoint and the visible ledger as they were, and a crash after it leaves
   * both advanced. Keys are never marked processed without the checkpoint that processed them, and the
   * ledger is append-only, so a commit costs its own keys, not the whole ledger's.
   */
  async putCheckpoint(write: CheckpointWrite): Promise<Checkpoint> {
    checkCheckpointWrite(write);
    const part = fileNamePart(write.name);
    const file = `checkpoint-${part}.json`;
    return this.locked(file, async () => {
      const current = await this.readCheckpoint(file);
      if (current.version !== write.expectedVersion) {
        throw new CheckpointConflictError(write.name, write.expectedVersion, current.version);
      }
      const ledgerId = current.ledgerId ?? randomBytes(8).toString('hex');
      const keys = [...new Set(write.processedKeys ?? [])];
      const ledgerBytes =
        keys.length === 0 ? current.ledgerBytes : await this.appendLedger(part, current.ledgerBytes, keys);
      const next: CheckpointFile = {
        name: write.name,
        version: current.version + 1,
        ...(write.pending === undefined
          ? {}
          : { pending: { batchId: write.pending.batchId, manifestKey: write.pending.manifestKey } }),
        ...(write.lastBatchId === undefined ? {} : { lastBatchId: write.lastBatchId }),
        ...(write.committedAt === undefined ? {} : { committedAt: write.committedAt }),
        ledgerId,
        ledgerBytes,
      };
      await writeFileAtomic(this.pathOf(file), JSON.stringify(next), { fsync: this.fsync });
      return publicCheckpoint(next);
    });
  }

  async filterProcessed(keys: readonly string[]): Promise<Set<string>> {
    const processed = new Set<string>();
    if (keys.length === 0) return processed;
    const caches = await this.mutex('ledgers').run(() => this.catchUpLedgers());
    for (const key of keys) {
      if (caches.some((cache) => cache.keys.has(key))) processed.add(key);
    }
    return processed;
  }

  /** Appends `keys` after the committed part of the ledger; returns the new committed length. */
  private async appendLedger(part: string, committedBytes: number, keys: readonly string[]): Promise<number> {
    const ledgerPath = this.pathOf(`ledger-${part}.ndjson`);
    const bytes = Buffer.from(keys.map((key) => `${JSON.stringify(key)}\n`).join(''), 'utf8');
    const handle = await fs.open(ledgerPath, 'a');
    try {
      const { size } = await handle.stat();
      if (size < committedBytes) {
        throw corruptFile(
          ledgerPath,
          `it holds ${size} bytes but its checkpoint committed ${committedBytes}`,
        );
      }
      if (size > committedBytes) await handle.truncate(committedBytes);
      await handle.writeFile(bytes);
      if (this.fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    if (this.fsync && committedBytes === 0) await fsyncDirectory(this.dir);
    return committedBytes + bytes.length;
  }

  /** Brings every checkpoint's ledger cache up to its committed length; returns the caches. */
  private async catchUpLedgers(): Promise<LedgerCache[]> {
    const caches: LedgerCache[] = [];
    for (const name of await fs.readdir(this.dir)) {
      const part = CHECKPOINT_FILE.exec(name)?.[1];
      if (part === undefined) continue;
      const checkpoint = await this.readCheckpoint(name);
      let cache = this.ledgers.get(part);
      if (
        cache === undefined ||
        cache.ledgerId !== checkpoint.ledgerId ||
        cache.bytesRead > checkpoint.ledgerBytes
      ) {
        cache = { ledgerId: checkpoint.ledgerId, bytesRead: 0, keys: new Set() };
        this.ledgers.set(part, cache);
      }
      if (cache.bytesRead < checkpoint.ledgerBytes)
        await this.readLedger(part, cache, checkpoint.ledgerBytes);
      caches.push(cache);
    }
    return caches;
  }

  private async readLedger(part: string, cache: LedgerCache, committedBytes: number): Promise<void> {
    const ledgerPath = this.pathOf(`ledger-${part}.ndjson`);
    const length = committedBytes - cache.bytesRead;
    const buffer = Buffer.alloc(length);
    let handle: FileHandle;
    try {
      handle = await fs.open(ledgerPath, 'r');
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT'))
        throw corruptFile(ledgerPath, `missing, but its checkpoint committed ${committedBytes} bytes`);
      throw error;
    }
    try {
      const { bytesRead } = await handle.read(buffer, 0, length, cache.bytesRead);
      if (bytesRead < length) {
        throw corruptFile(ledgerPath, `shorter than the ${committedBytes} bytes its checkpoint committed`);
      }
    } finally {
      await handle.close();
    }
    const text = buffer.toString('utf8');
    if (!text.endsWith('\n'))
      throw corruptFile(ledgerPath, `the committed part does not end with a whole line`);
    for (const line of text.slice(0, -1).split('\n')) {
      const key: unknown = JSON.parse(line);
      if (typeof key !== 'string')
        throw corruptFile(ledgerPath, `a line is not a JSON string: ${line.slice(0, 200)}`);
      cache.keys.add(key);
    }
    cache.bytesRead = committedBytes;
  }

  private async readCheckpoint(file: string): Promise<CheckpointFile> {
    const json = await this.readJson(file);
    if (json === undefined) return { name: '', version: 0, ledgerBytes: 0 };
    const problem = checkpointFileProblem(json);
    if (problem !== undefined) throw corruptFile(this.pathOf(file), problem);
    return json as CheckpointFile;
  }

  // ---------------------------------------------------------------- plumbing

  private pathOf(file: string): string {
    return path.join(this.dir, file);
  }

  private mutex(resource: string): AsyncMutex {
    let mutex = this.mutexes.get(resource);
    if (mutex === undefined) {
      mutex = new AsyncMutex();
      this.mutexes.set(resource, mutex);
    }
    return mutex;
  }

  /** Runs `section` holding `resource`'s lock: first within this instance, then across processes. */
  private locked<T>(resource: string, section: () => Promise<T>): Promise<T> {
    return this.mutex(resource).run(() =>
      withFileLock(this.pathOf(`${resource}.lock`), this.lockOptions, section),
    );
  }

  private async readJson(file: string): Promise<unknown> {
    const text = await ifExists(fs.readFile(this.pathOf(file), 'utf8'));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw corruptFile(this.pathOf(file), `not JSON (${(error as Error).message})`);
    }
  }
}

interface LogCursor {
  /** Bytes of the version log read into the index; always the end of a whole line. */
  bytesRead: number;
  /** Lines read, for error messages. */
  linesRead: number;
  /** The log file read, to notice it was replaced. */
  inode: number | undefined;
  /** Its first bytes (at most HEAD_BYTES), to notice it was replaced by a file with the same inode number. */
  head: Buffer | undefined;
}

interface LedgerCache {
  ledgerId: string | undefined;
  bytesRead: number;
  readonly keys: Set<string>;
}

/** A lease holder rewrites its heartbeat this often while it runs. */
export const LEASE_HEARTBEAT_MS = 15_000;
/** A heartbeat older than this means the holder stopped (killed, host gone): its lease may be taken over. */
export const LEASE_STALE_MS = 120_000;

/** Whether the holder of a lease is known to be gone: its process (on this host) exited, or its heartbeat stopped. */
export function holderIsGone(lease: LeaseInfo, host = hostname(), nowMs = Date.now()): boolean {
  if (lease.pid !== undefined && lease.host === host && lease.pid !== process.pid && !processExists(lease.pid)) return true;
  return lease.heartbeatAtMs !== undefined && nowMs - lease.heartbeatAtMs > LEASE_STALE_MS;
}


interface CheckpointFile extends Checkpoint {
  readonly name: string;
  /** Random id of this checkpoint's ledger, so a cache never mixes two ledgers of the same name. */
  readonly ledgerId?: string;
  /** How many bytes of `ledger-<name>.ndjson` are committed. */
  readonly ledgerBytes: number;
}

function publicCheckpoint(stored: CheckpointFile): Checkpoint {
  return {
    version: stored.version,
    ...(stored.pending === undefined ? {} : { pending: stored.pending }),
    ...(stored.lastBatchId === undefined ? {} : { lastBatchId: stored.lastBatchId }),
    ...(stored.committedAt === undefined ? {} : { committedAt: stored.committedAt }),
  };
}

function checkpointFileProblem(json: unknown): string | undefined {
  if (!isRecord(json)) return 'not a JSON object';
  if (!isCount(json.version)) return '"version" must be a non-negative integer';
  if (!isCount(json.ledgerBytes)) return '"ledgerBytes" must be a non-negative integer';
  if (json.ledgerId !== undefined && typeof json.ledgerId !== 'string') return '"ledgerId" must be a string';
  if (json.pending !== undefined && !isPendingBatch(json.pending))
    return '"pending" must be {batchId, manifestKey}';
  if (json.lastBatchId !== undefined && typeof json.lastBatchId !== 'string')
    return '"lastBatchId" must be a string';
  if (json.committedAt !== undefined && typeof json.committedAt !== 'string')
    return '"committedAt" must be a string';
  return undefined;
}

// ---------------------------------------------------------------- names

/** A name as it appears in a file name: any string, encoded so it cannot hold `/` or be `.`/`..`. */
function fileNamePart(name: string): string {
  const part = encodeURIComponent(name).replace(/\./g, '%2E');
  if (part.length > 180)
    throw new InvalidInputError(`name too long for a file name (${part.length} > 180): ${name}`);
  return part;
}

// ---------------------------------------------------------------- type guards

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/** The inode number of `filePath`, undefined when it does not exist (to notice it was replaced). */
async function inodeOf(filePath: string): Promise<number | undefined> {
  return (await ifExists(fs.stat(filePath)))?.ino;
}

/** Bytes [start, end) of a file, as text (whole lines: both ends are line boundaries). */
async function readRange(filePath: string, start: number, end: number): Promise<string> {
  if (end <= start) return '';
  const buffer = Buffer.alloc(end - start);
  const handle = await fs.open(filePath, 'r');
  try {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function corruptFile(filePath: string, problem: string): Error {
  return new Error(
    `${filePath} is corrupt: ${problem}. Restore it from a backup or remove the state folder and backfill`,
  );
}
