import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FileStateStore } from '../../../src/adapters/local/file-state-store';
import * as sortedVersions from '../../../src/adapters/local/sorted-versions';

// The merge of a compaction, passed through, so a test can act while it runs (another instance appending).
jest.mock('../../../src/adapters/local/sorted-versions', () => {
  const actual = jest.requireActual<typeof sortedVersions>('../../../src/adapters/local/sorted-versions');
  return { ...actual, writeMergedSorted: jest.fn(actual.writeMergedSorted) };
});
const writeMergedSorted = sortedVersions.writeMergedSorted as jest.MockedFunction<typeof sortedVersions.writeMergedSorted>;
import { ErrorNames } from '../../../src/errors';
import { FOLDED_BASE_UUID, type StateVersion } from '../../../src/ports/state-store';
import { stateStoreContract } from '../../ports/state-store.contract';

async function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'eventlake-state-'));
}

stateStoreContract('FileStateStore', async () => {
  const dir = await makeTempDir();
  return {
    store: await FileStateStore.open(dir),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

// The same contract when nearly every write compacts the log into the sorted file, so reads, folds and
// deleteUser go through the sorted file and the log together.
stateStoreContract('FileStateStore (compacting every 1 KiB)', async () => {
  const dir = await makeTempDir();
  return {
    store: await FileStateStore.open(dir, { compactBytes: 1024 }),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

const T0 = Date.parse('2024-04-07T17:00:00Z');
const account = 'account#u1';

function v(eventUuid: string, country: string): StateVersion {
  return { eventUuid, createdAt: 1712511721.022075, fields: { country } };
}

/** 30 writes of 100 versions of `account` over 60 days: the fold leaves a base and the last 7 days' versions. */
async function writeFolded(store: FileStateStore): Promise<void> {
  const day = 86_400;
  for (let batch = 0; batch < 30; batch += 1) {
    await store.putVersions(
      Array.from({ length: 100 }, (_, i) => ({
        entity: account,
        version: {
          eventUuid: `e${batch * 100 + i}`,
          createdAt: 1_700_000_000 + (batch * 100 + i) * (day / 50),
          fields: { country: `C${i % 7}`, ...(i === 0 ? { plan: `P${batch}` } : {}) },
        },
      })),
    );
  }
}

describe('FileStateStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('open', () => {
    it('creates a missing folder', async () => {
      const nested = path.join(dir, 'lake', 'state');

      await FileStateStore.open(nested);

      expect((await fs.stat(nested)).isDirectory()).toBe(true);
    });
  });

  describe('after reopening', () => {
    it('keeps versions', async () => {
      const first = await FileStateStore.open(dir);
      await first.putVersions([{ entity: account, version: v('e1', 'FR') }]);
      await first.putVersions([{ entity: account, version: v('e2', 'DE') }]);

      const reopened = await FileStateStore.open(dir);

      expect((await reopened.getVersions([account])).get(account)).toEqual([v('e1', 'FR'), v('e2', 'DE')]);
    });

    it('keeps first-wins: a rewrite after reopening is still ignored', async () => {
      await (await FileStateStore.open(dir)).putVersions([{ entity: account, version: v('e1', 'FR') }]);

      const reopened = await FileStateStore.open(dir);
      await reopened.putVersions([{ entity: account, version: v('e1', 'US') }]);

      expect((await (await FileStateStore.open(dir)).getVersions([account])).get(account)).toEqual([
        v('e1', 'FR'),
      ]);
      expect((await fs.readFile(path.join(dir, 'versions.ndjson'), 'utf8')).split('\n')).toHaveLength(2);
    });

    it('rebuilds the folded state from the log: the kept versions and the base, not the folded ones', async () => {
      const first = await FileStateStore.open(dir);
      await writeFolded(first);
      const before = (await first.getVersions([account])).get(account) ?? [];
      expect(before.find((version) => version.eventUuid === FOLDED_BASE_UUID)).toMatchObject({
        foldedSince: 1_700_000_000,
      });

      const reopened = await FileStateStore.open(dir);

      const byUuid = (versions: readonly StateVersion[] = []) =>
        [...versions].sort((a, b) => a.eventUuid.localeCompare(b.eventUuid));
      expect(byUuid((await reopened.getVersions([account])).get(account))).toEqual(byUuid(before));
      const lines = (await fs.readFile(path.join(dir, 'versions.ndjson'), 'utf8'))
        .split('\n')
        .filter(Boolean);
      expect(lines.some((line) => line.includes(FOLDED_BASE_UUID))).toBe(true);
    });

    it('folds a log written before folding existed at the next write to the entity, and replays that', async () => {
      const day = 86_400;
      const legacy = Array.from({ length: 50 }, (_, i) => ({
        entity: account,
        eventUuid: `e${i}`,
        createdAt: 1_700_000_000 + i * day,
        fields: { country: `C${i}` },
      }));
      await fs.writeFile(
        path.join(dir, 'versions.ndjson'),
        legacy.map((line) => `${JSON.stringify(line)}\n`).join(''),
      );
      const store = await FileStateStore.open(dir);
      expect((await store.getVersions([account])).get(account)).toHaveLength(50);

      await store.putVersions([
        {
          entity: account,
          version: { eventUuid: 'e-new', createdAt: 1_700_000_000 + 49 * day + 1, fields: {} },
        },
      ]);

      const folded = (await store.getVersions([account])).get(account) ?? [];
      expect(folded.map((version) => version.eventUuid).sort()).toEqual(
        [FOLDED_BASE_UUID, 'e43', 'e44', 'e45', 'e46', 'e47', 'e48', 'e49', 'e-new'].sort(),
      );
      const replayed = (await (await FileStateStore.open(dir)).getVersions([account])).get(account) ?? [];
      expect(new Set(replayed)).toEqual(new Set(folded));
      expect(replayed).toHaveLength(folded.length);
    });

    it('keeps the checkpoint and the ledger', async () => {
      const first = await FileStateStore.open(dir);
      await first.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: ['raw/a'] });
      await first.putCheckpoint({
        name: 'scheduled',
        expectedVersion: 1,
        lastBatchId: 'b2',
        committedAt: '2024-04-07T17:05:00.000Z',
        processedKeys: ['raw/b'],
      });

      const reopened = await FileStateStore.open(dir);

      expect(await reopened.getCheckpoint('scheduled')).toEqual({
        version: 2,
        lastBatchId: 'b2',
        committedAt: '2024-04-07T17:05:00.000Z',
      });
      expect(await reopened.filterProcessed(['raw/a', 'raw/b', 'raw/c'])).toEqual(
        new Set(['raw/a', 'raw/b']),
      );
    });

    it('keeps the lease', async () => {
      await (
        await FileStateStore.open(dir)
      ).acquireLease({ name: 'run', owner: 'exec-a', nowMs: T0, ttlMs: 60_000 });

      const reopened = await FileStateStore.open(dir);

      expect(
        await reopened.acquireLease({ name: 'run', owner: 'exec-b', nowMs: T0 + 1, ttlMs: 60_000 }),
      ).toEqual({
        acquired: false,
        holder: 'exec-a',
        expiresAtMs: T0 + 60_000,
      });
    });
  });

  describe('memory', () => {
    /** A small compaction threshold (bytes of log), so a test crosses it with a few hundred lines. */
    const options = { fsync: false, compactBytes: 4096 };
    const users = Array.from({ length: 200 }, (_, i) => `account#u${i}`);

    async function writeEach(store: FileStateStore): Promise<void> {
      for (const [i, entity] of users.entries()) {
        await store.putVersions([{ entity, version: v(`e${i}`, 'FR') }]);
      }
    }

    it('does not index the entities another instance wrote before the last compaction', async () => {
      await writeEach(await FileStateStore.open(dir, options));

      const reader = await FileStateStore.open(dir, options);

      // ~95 bytes a line: at most 4096 bytes of log are held, whatever the number of entities in the folder.
      const held = reader.indexedVersions();
      expect(held.versions).toBeLessThan(50);
      expect(held.entities).toBeLessThan(50);
      const found = await reader.getVersions(users);
      expect(found.size).toBe(users.length);
      expect(found.get('account#u7')).toEqual([v('e7', 'FR')]);
      expect(reader.indexedVersions()).toEqual(held);
    });

    it('does not grow in the instance that writes either', async () => {
      const writer = await FileStateStore.open(dir, options);

      await writeEach(writer);

      expect(writer.indexedVersions().versions).toBeLessThan(50);
      expect((await writer.getVersions(users)).size).toBe(users.length);
    });
  });

  describe('compaction', () => {
    const byUuid = (versions: readonly StateVersion[] = []) =>
      [...versions].sort((a, b) => a.eventUuid.localeCompare(b.eventUuid));

    it('loses and adds nothing when a crash leaves the merged log in place (its lines replayed twice)', async () => {
      const writer = await FileStateStore.open(dir, { fsync: false, compactBytes: 1e9 });
      await writeFolded(writer);
      const expected = byUuid((await writer.getVersions([account])).get(account));
      expect(expected.find((version) => version.eventUuid === FOLDED_BASE_UUID)).toBeDefined();
      const log = await fs.readFile(path.join(dir, 'versions.ndjson'));

      // The next write compacts: the sorted file gets every line, the log is emptied...
      await (await FileStateStore.open(dir, { fsync: false, compactBytes: 1 })).putVersions([
        { entity: 'account#u2', version: v('x1', 'IT') },
      ]);
      expect((await fs.readFile(path.join(dir, 'versions.ndjson'), 'utf8')).split('\n')).toHaveLength(2);
      // ...unless it crashed in between: the old log is still there.
      await fs.writeFile(path.join(dir, 'versions.ndjson'), log);

      const reader = await FileStateStore.open(dir);
      expect(byUuid((await reader.getVersions([account])).get(account))).toEqual(expected);
      expect((await reader.getVersions(['account#u2'])).get('account#u2')).toEqual([v('x1', 'IT')]);
    });

    it('lets an instance that read the log before other instances compacted it, twice, see every version', async () => {
      const reader = await FileStateStore.open(dir, { compactBytes: 300 });
      await reader.putVersions([{ entity: account, version: v('e0', 'FR') }]);
      const writer = await FileStateStore.open(dir, { compactBytes: 300 });

      const entities = Array.from({ length: 12 }, (_, i) => `account#w${i}`);
      for (const [i, entity] of entities.entries()) await writer.putVersions([{ entity, version: v(`w${i}`, 'DE') }]);

      const found = await reader.getVersions([account, ...entities]);
      expect(found.size).toBe(13);
      expect(found.get('account#w11')).toEqual([v('w11', 'DE')]);
    });

    it('reloads a log replaced by one that got the same inode number (told apart by its first bytes)', async () => {
      await fs.writeFile(path.join(dir, 'versions.ndjson'), `${JSON.stringify({ entity: account, ...v('e1', 'FR') })}\n`);
      const reader = await FileStateStore.open(dir);
      expect((await reader.getVersions([account])).get(account)).toEqual([v('e1', 'FR')]);

      // Rewritten in place: same inode, longer, other lines (what a compaction's new log can look like).
      await fs.writeFile(
        path.join(dir, 'versions.ndjson'),
        [v('e2', 'DE'), v('e3', 'IT')].map((version) => `${JSON.stringify({ entity: account, ...version })}\n`).join(''),
      );

      expect((await reader.getVersions([account])).get(account)).toEqual([v('e2', 'DE'), v('e3', 'IT')]);
    });

    it('leaves the log to a compaction under way elsewhere instead of waiting for it', async () => {
      const lock = path.join(dir, 'versions.sorted.ndjson.compact.lock');
      await fs.writeFile(lock, 'another process');
      const store = await FileStateStore.open(dir, { compactBytes: 300 });

      for (let i = 0; i < 10; i += 1) await store.putVersions([{ entity: `account#w${i}`, version: v(`w${i}`, 'DE') }]);

      expect(store.indexedVersions().versions).toBe(10);
      await expect(fs.stat(path.join(dir, 'versions.sorted.ndjson'))).rejects.toThrow('ENOENT');
      await fs.rm(lock);
      await store.putVersions([{ entity: account, version: v('e1', 'FR') }]);
      expect(store.indexedVersions().versions).toBe(0);
      expect((await store.getVersions(['account#w3'])).get('account#w3')).toEqual([v('w3', 'DE')]);
    });

    it('loses no write of two instances writing at once with a small compaction threshold', async () => {
      const [a, b] = await Promise.all([
        FileStateStore.open(dir, { fsync: false, compactBytes: 700 }),
        FileStateStore.open(dir, { fsync: false, compactBytes: 700 }),
      ]);
      const writes = (store: FileStateStore, name: string) =>
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.putVersions([
              { entity: `account#${name}${i}`, version: v(`${name}${i}`, 'FR') },
              { entity: 'account#shared', version: v(`${name}-shared-${i}`, 'DE') },
            ]),
          ),
        );

      await Promise.all([writes(a, 'a'), writes(b, 'b')]);

      const entities = [...['a', 'b'].flatMap((name) => Array.from({ length: 40 }, (_, i) => `account#${name}${i}`))];
      const found = await (await FileStateStore.open(dir)).getVersions([...entities, 'account#shared']);
      expect(entities.filter((entity) => found.get(entity)?.length !== 1)).toEqual([]);
      expect(found.get('account#shared')).toHaveLength(80);
      expect(await fs.stat(path.join(dir, 'versions.sorted.ndjson'))).toBeDefined();
    });

    it('keeps the lines another instance appended while it merged, in the new log', async () => {
      const compacting = await FileStateStore.open(dir, { compactBytes: 300 });
      const other = await FileStateStore.open(dir, { compactBytes: 1e9 });
      const actual = jest.requireActual<typeof sortedVersions>('../../../src/adapters/local/sorted-versions');
      writeMergedSorted.mockClear();
      writeMergedSorted.mockImplementationOnce(async (...args) => {
        const merged = await actual.writeMergedSorted(...args);
        await other.putVersions([{ entity: 'account#during', version: v('d1', 'PT') }]);
        return merged;
      });

      for (let i = 0; i < 4; i += 1) await compacting.putVersions([{ entity: `account#w${i}`, version: v(`w${i}`, 'DE') }]);

      expect(writeMergedSorted).toHaveBeenCalledTimes(1);
      const log = await fs.readFile(path.join(dir, 'versions.ndjson'), 'utf8');
      expect(log.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { entity?: string }).entity)).toEqual([
        undefined,
        'account#during',
      ]);
      const found = await (await FileStateStore.open(dir)).getVersions(['account#during', 'account#w0', 'account#w3']);
      expect(found.get('account#during')).toEqual([v('d1', 'PT')]);
      expect(found.size).toBe(3);
    });

    it('keeps first-wins and folding across the sorted file and the log', async () => {
      const store = await FileStateStore.open(dir, { fsync: false, compactBytes: 2048 });
      await writeFolded(store);
      await store.putVersions([{ entity: account, version: { eventUuid: 'e2999', createdAt: 1, fields: { country: 'XX' } } }]);

      const replayed = await (await FileStateStore.open(dir, { compactBytes: 1e9 })).getVersions([account]);
      const reference = await FileStateStore.open(await makeTempDir(), { fsync: false, compactBytes: 1e9 });
      await writeFolded(reference);
      expect(byUuid(replayed.get(account))).toEqual(byUuid((await reference.getVersions([account])).get(account)));
      await fs.rm(reference.dir, { recursive: true, force: true });
    });

    it('forgets a user in the sorted file and in the log: no line of either names them', async () => {
      const store = await FileStateStore.open(dir, { compactBytes: 512 });
      for (let i = 0; i < 10; i += 1) {
        await store.putVersions([
          { entity: 'account#gone', version: v(`g${i}`, 'FR') },
          { entity: `subscription#gone#l${i}`, version: v(`s${i}`, 'FR') },
          { entity: `account#kept${i}`, version: v(`k${i}`, 'DE') },
        ]);
      }

      expect(await store.deleteUser('gone')).toBe(11);

      for (const file of ['versions.ndjson', 'versions.sorted.ndjson']) {
        expect(await fs.readFile(path.join(dir, file), 'utf8')).not.toContain('gone');
      }
      const kept = await (await FileStateStore.open(dir)).getVersions(['account#gone', 'account#kept3']);
      expect([...kept.keys()]).toEqual(['account#kept3']);
    });
  });

  describe('version log after a crash', () => {
    const torn = '{"entity":"account#u1","eventUuid":"e9","crea';

    async function crashMidAppend(): Promise<void> {
      const store = await FileStateStore.open(dir);
      await store.putVersions([{ entity: account, version: v('e1', 'FR') }]);
      await fs.appendFile(path.join(dir, 'versions.ndjson'), torn);
    }

    it('ignores a torn last line', async () => {
      await crashMidAppend();

      const reopened = await FileStateStore.open(dir);

      expect((await reopened.getVersions([account])).get(account)).toEqual([v('e1', 'FR')]);
    });

    it('cuts the torn line off at the next append, so every line is whole again', async () => {
      await crashMidAppend();

      const reopened = await FileStateStore.open(dir);
      await reopened.putVersions([{ entity: account, version: v('e2', 'DE') }]);

      const lines = (await fs.readFile(path.join(dir, 'versions.ndjson'), 'utf8')).split('\n');
      expect(lines.at(-1)).toBe('');
      expect(lines.slice(0, -1).map((line) => (JSON.parse(line) as { eventUuid: string }).eventUuid)).toEqual(
        ['e1', 'e2'],
      );
      expect((await (await FileStateStore.open(dir)).getVersions([account])).get(account)).toEqual([
        v('e1', 'FR'),
        v('e2', 'DE'),
      ]);
    });

    it('refuses to open a log with a corrupt whole line, naming the file and the line', async () => {
      await crashMidAppend();
      await fs.appendFile(path.join(dir, 'versions.ndjson'), '\n');

      await expect(FileStateStore.open(dir)).rejects.toThrow(`${path.join(dir, 'versions.ndjson')} line 2`);
    });
  });

  describe('ledger after a crash between the ledger append and the checkpoint write', () => {
    async function crashBeforeCommit(): Promise<void> {
      const store = await FileStateStore.open(dir);
      await store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: ['raw/a'] });
      // What a crashed second commit leaves: its keys appended, its checkpoint never renamed into place.
      await fs.appendFile(path.join(dir, 'ledger-scheduled.ndjson'), '"raw/b"\n"raw/c');
    }

    it('does not count the uncommitted keys as processed', async () => {
      await crashBeforeCommit();

      const reopened = await FileStateStore.open(dir);

      expect(await reopened.getCheckpoint('scheduled')).toEqual({ version: 1 });
      expect(await reopened.filterProcessed(['raw/a', 'raw/b', 'raw/c'])).toEqual(new Set(['raw/a']));
    });

    it('drops them when the retried commit lands', async () => {
      await crashBeforeCommit();

      const reopened = await FileStateStore.open(dir);
      await reopened.putCheckpoint({ name: 'scheduled', expectedVersion: 1, processedKeys: ['raw/d'] });

      expect(await reopened.filterProcessed(['raw/a', 'raw/b', 'raw/c', 'raw/d'])).toEqual(
        new Set(['raw/a', 'raw/d']),
      );
      expect(await fs.readFile(path.join(dir, 'ledger-scheduled.ndjson'), 'utf8')).toBe('"raw/a"\n"raw/d"\n');
    });

    it('reports a ledger shorter than its checkpoint says as corrupt', async () => {
      const store = await FileStateStore.open(dir);
      await store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: ['raw/a'] });
      await fs.truncate(path.join(dir, 'ledger-scheduled.ndjson'), 3);

      await expect((await FileStateStore.open(dir)).filterProcessed(['raw/a'])).rejects.toThrow(
        /ledger-scheduled\.ndjson is corrupt/,
      );
    });
  });

  describe('two instances on one folder (as two processes)', () => {
    let a: FileStateStore;
    let b: FileStateStore;

    beforeEach(async () => {
      a = await FileStateStore.open(dir);
      b = await FileStateStore.open(dir);
    });

    it('cannot both acquire the lease', async () => {
      const results = await Promise.all([
        a.acquireLease({ name: 'run', owner: 'exec-a', nowMs: T0, ttlMs: 60_000 }),
        b.acquireLease({ name: 'run', owner: 'exec-b', nowMs: T0, ttlMs: 60_000 }),
      ]);

      expect(results.filter((r) => r.acquired)).toHaveLength(1);
    });

    it('refuse each other the lease until it is released', async () => {
      await a.acquireLease({ name: 'run', owner: 'exec-a', nowMs: T0, ttlMs: 60_000 });

      expect(await b.acquireLease({ name: 'run', owner: 'exec-b', nowMs: T0, ttlMs: 60_000 })).toMatchObject({
        acquired: false,
        holder: 'exec-a',
      });
      expect(await b.releaseLease('run', 'exec-b')).toBe(false);
      expect(await a.releaseLease('run', 'exec-a')).toBe(true);
      expect(await b.acquireLease({ name: 'run', owner: 'exec-b', nowMs: T0, ttlMs: 60_000 })).toMatchObject({
        acquired: true,
      });
    });

    it("see each other's versions", async () => {
      await a.putVersions([{ entity: account, version: v('e1', 'FR') }]);

      expect((await b.getVersions([account])).get(account)).toEqual([v('e1', 'FR')]);
    });

    it('keep the first version written by either', async () => {
      await a.putVersions([{ entity: account, version: v('e1', 'FR') }]);
      await b.putVersions([{ entity: account, version: v('e1', 'US') }]);

      expect((await b.getVersions([account])).get(account)).toEqual([v('e1', 'FR')]);
      expect((await a.getVersions([account])).get(account)).toEqual([v('e1', 'FR')]);
    });

    it('interleave concurrent appends as whole lines', async () => {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? a : b).putVersions(
            Array.from({ length: 200 }, (_, j) => ({
              entity: `account#u${j}`,
              version: v(`e${i}-${j}`, `C${i}`),
            })),
          ),
        ),
      );

      const reopened = await FileStateStore.open(dir);
      const found = await reopened.getVersions(Array.from({ length: 200 }, (_, j) => `account#u${j}`));
      expect([...found.values()].every((versions) => versions.length === 10)).toBe(true);
    });

    it('cannot both win a checkpoint compare-and-set', async () => {
      const outcomes = await Promise.allSettled([
        a.putCheckpoint({
          name: 'scheduled',
          expectedVersion: 0,
          lastBatchId: 'from-a',
          processedKeys: ['raw/a'],
        }),
        b.putCheckpoint({
          name: 'scheduled',
          expectedVersion: 0,
          lastBatchId: 'from-b',
          processedKeys: ['raw/b'],
        }),
      ]);

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({
        reason: { name: ErrorNames.CheckpointConflict },
      });
      expect((await a.filterProcessed(['raw/a', 'raw/b'])).size).toBe(1);
    });

    it("see each other's commits in the ledger", async () => {
      await a.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: ['raw/a'] });
      expect(await b.filterProcessed(['raw/a', 'raw/b'])).toEqual(new Set(['raw/a']));

      await b.putCheckpoint({ name: 'scheduled', expectedVersion: 1, processedKeys: ['raw/b'] });
      expect(await a.filterProcessed(['raw/a', 'raw/b'])).toEqual(new Set(['raw/a', 'raw/b']));
    });
  });

  describe('locks', () => {
    it('throws TransientError when another holder keeps the lock past the wait budget', async () => {
      const store = await FileStateStore.open(dir, { lockTimeoutMs: 50 });
      await fs.writeFile(path.join(dir, 'checkpoint-scheduled.json.lock'), 'someone else');

      await expect(store.putCheckpoint({ name: 'scheduled', expectedVersion: 0 })).rejects.toMatchObject({
        name: ErrorNames.Transient,
        message: expect.stringContaining('checkpoint-scheduled.json.lock') as unknown,
      });
      expect(await store.getCheckpoint('scheduled')).toEqual({ version: 0 });
    });

    it('waits for a holder that lets go within the budget', async () => {
      const store = await FileStateStore.open(dir, { lockTimeoutMs: 2000 });
      const lockPath = path.join(dir, 'lease-run.json.lock');
      await fs.writeFile(lockPath, 'someone else');
      setTimeout(() => void fs.rm(lockPath), 100);

      expect(
        await store.acquireLease({ name: 'run', owner: 'exec-a', nowMs: T0, ttlMs: 1000 }),
      ).toMatchObject({
        acquired: true,
      });
    });

    it('breaks a lock left by a crashed process once it is stale', async () => {
      const store = await FileStateStore.open(dir, { lockTimeoutMs: 50, staleLockMs: 30_000 });
      const lockPath = path.join(dir, 'lease-run.json.lock');
      await fs.writeFile(lockPath, 'crashed');
      const minuteAgo = new Date(Date.now() - 60_000);
      await fs.utimes(lockPath, minuteAgo, minuteAgo);

      expect(
        await store.acquireLease({ name: 'run', owner: 'exec-a', nowMs: T0, ttlMs: 1000 }),
      ).toMatchObject({
        acquired: true,
      });
    });

    it('leaves no lock file behind', async () => {
      const store = await FileStateStore.open(dir);
      await store.putVersions([{ entity: account, version: v('e1', 'FR') }]);
      await store.acquireLease({ name: 'run', owner: 'exec-a', nowMs: T0, ttlMs: 1000 });
      await store.releaseLease('run', 'exec-a');
      await store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: ['raw/a'] });
      await expect(store.putCheckpoint({ name: 'scheduled', expectedVersion: 0 })).rejects.toThrow();

      expect((await fs.readdir(dir)).filter((name) => name.endsWith('.lock'))).toEqual([]);
    });
  });

  describe('arguments', () => {
    it('rejects a version whose fields are not all strings, writing nothing', async () => {
      const store = await FileStateStore.open(dir);
      const bad = { eventUuid: 'e2', createdAt: 1, fields: { country: 7 } } as unknown as StateVersion;

      await expect(
        store.putVersions([
          { entity: account, version: v('e1', 'FR') },
          { entity: account, version: bad },
        ]),
      ).rejects.toMatchObject({
        name: ErrorNames.InvalidInput,
        message: expect.stringContaining('writes[1]') as unknown,
      });
      expect(await store.getVersions([account])).toEqual(new Map());
    });

    it('keeps names that look like paths inside the folder', async () => {
      const store = await FileStateStore.open(path.join(dir, 'state'));

      await store.putCheckpoint({ name: '../escape', expectedVersion: 0 });
      await store.acquireLease({ name: '..', owner: 'exec-a', nowMs: T0, ttlMs: 1000 });

      expect(await fs.readdir(dir)).toEqual(['state']);
      expect(await store.getCheckpoint('../escape')).toEqual({ version: 1 });
    });

    it('rejects a lease with a non-positive ttl', async () => {
      const store = await FileStateStore.open(dir);

      await expect(
        store.acquireLease({ name: 'run', owner: 'a', nowMs: T0, ttlMs: 0 }),
      ).rejects.toMatchObject({
        name: ErrorNames.InvalidInput,
      });
    });
  });

  describe('without fsync', () => {
    it('keeps the same contract', async () => {
      const store = await FileStateStore.open(dir, { fsync: false });
      await store.putVersions([{ entity: account, version: v('e1', 'FR') }]);
      await store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: ['raw/a'] });

      const reopened = await FileStateStore.open(dir, { fsync: false });

      expect((await reopened.getVersions([account])).get(account)).toEqual([v('e1', 'FR')]);
      expect(await reopened.filterProcessed(['raw/a'])).toEqual(new Set(['raw/a']));
    });
  });

  describe('lease holders that died', () => {
    const leaseFile = () => path.join(dir, 'lease-run.json');
    const write = (lease: Record<string, unknown>) => fs.writeFile(leaseFile(), JSON.stringify({ name: 'run', ...lease }));
    const request = { name: 'run', owner: 'next', nowMs: T0 + 1000, ttlMs: 3_600_000 };

    it('takes the lease at once from a holder whose process on this host is gone (kill -9)', async () => {
      const child = execFile(process.execPath, ['-e', '']);
      await new Promise((resolve) => child.on('exit', resolve));
      await write({ owner: 'killed', acquiredAtMs: T0, expiresAtMs: T0 + 3_600_000, heartbeatAtMs: Date.now(), pid: child.pid, host: os.hostname() });
      const store = await FileStateStore.open(dir);

      const result = await store.acquireLease(request);

      expect(result).toMatchObject({ acquired: true, holder: 'next' });
      expect(await store.describeLease('run')).toMatchObject({ owner: 'next', pid: process.pid, host: os.hostname() });
      await store.releaseLease('run', 'next');
    });

    it('takes the lease from a holder whose heartbeat stopped, wherever it ran', async () => {
      await write({ owner: 'stalled', expiresAtMs: T0 + 3_600_000, heartbeatAtMs: Date.now() - 10 * 60_000, pid: 1, host: 'another-host' });
      const store = await FileStateStore.open(dir);

      expect(await store.acquireLease(request)).toMatchObject({ acquired: true });
      await store.releaseLease('run', 'next');
    });

    it('leaves the lease to a live holder with a fresh heartbeat', async () => {
      await write({ owner: 'alive', expiresAtMs: T0 + 3_600_000, heartbeatAtMs: Date.now(), pid: process.ppid, host: os.hostname() });
      const store = await FileStateStore.open(dir);

      expect(await store.acquireLease(request)).toEqual({ acquired: false, holder: 'alive', expiresAtMs: T0 + 3_600_000 });
    });
  });

  describe('across real processes', () => {
    const tsx = path.join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const modulePath = path.join(__dirname, '..', '..', '..', 'src', 'adapters', 'local', 'file-state-store');
    // Each child opens the store, waits for a common start time, then races for the lease, the checkpoint
    // and a contested version.
    const script = `
      import { FileStateStore } from ${JSON.stringify(modulePath)};
      const [dir, owner, startAt] = process.argv.slice(1);
      (async () => {
        const store = await FileStateStore.open(dir);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
        const lease = await store.acquireLease({ name: 'run', owner, nowMs: ${T0}, ttlMs: 60000 });
        const checkpoint = await store
          .putCheckpoint({ name: 'scheduled', expectedVersion: 0, lastBatchId: owner, processedKeys: ['raw/' + owner] })
          .then(() => 'won', (error) => error.name);
        await store.putVersions([{ entity: 'account#shared', version: { eventUuid: 'e1', createdAt: 1, fields: { by: owner } } }]);
        // Stay alive while the others race: a holder whose process is gone may be taken over at once.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        process.stdout.write(JSON.stringify({ owner, acquired: lease.acquired, checkpoint }));
      })().catch((error) => { console.error(error); process.exit(1); });
    `;

    it('lets exactly one process win the lease and the checkpoint', async () => {
      const owners = ['p1', 'p2', 'p3', 'p4'];
      const startAt = String(Date.now() + 1500);

      const outputs = await Promise.all(
        owners.map((owner) =>
          promisify(execFile)(tsx, ['-e', script, dir, owner, startAt], { timeout: 30_000 }),
        ),
      );

      const results = outputs.map(
        ({ stdout }) => JSON.parse(stdout) as { owner: string; acquired: boolean; checkpoint: string },
      );
      expect(results.filter((r) => r.acquired)).toHaveLength(1);
      expect(results.filter((r) => r.checkpoint === 'won')).toHaveLength(1);
      expect(results.filter((r) => r.checkpoint !== 'won').map((r) => r.checkpoint)).toEqual(
        Array.from({ length: 3 }, () => ErrorNames.CheckpointConflict),
      );
      const store = await FileStateStore.open(dir);
      const winner = results.find((r) => r.checkpoint === 'won')?.owner;
      expect(await store.getCheckpoint('scheduled')).toEqual({ version: 1, lastBatchId: winner });
      expect(await store.filterProcessed(owners.map((owner) => `raw/${owner}`))).toEqual(
        new Set([`raw/${winner}`]),
      );
      expect((await store.getVersions(['account#shared'])).get('account#shared')).toHaveLength(1);
    });
  });
});
