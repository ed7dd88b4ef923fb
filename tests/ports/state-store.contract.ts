import { versionValue } from '../../src/adapters/aws/dynamodb-items';
import { MAX_KEPT_VERSIONS, VERSIONS_BUDGET_BYTES, versionsMapBytes } from '../../src/adapters/version-fold';
import { ErrorNames } from '../../src/errors';
import { EntityTimeline } from '../../src/pipeline/user-state';
import type { StateStore, StateVersion, VersionWrite } from '../../src/ports/state-store';
import { awsItemBytes, MAX_ITEM_BYTES } from '../adapters/aws/dynalite-fixture';

/** A fresh, empty store for one test, and how to throw it away. */
export interface StateStoreFixture {
  readonly store: StateStore;
  cleanup(): Promise<void>;
  /** Size of the largest user-state item as the backing store counts it (DynamoDB's item size); DynamoDB only. */
  storedItemBytes?(): Promise<number>;
}

const T0 = Date.parse('2024-04-07T17:00:00Z');
const TTL_MS = 60_000;

function version(eventUuid: string, createdAt: number, fields: Record<string, string>): StateVersion {
  return { eventUuid, createdAt, fields };
}

function write(entity: string, v: StateVersion): VersionWrite {
  return { entity, version: v };
}

function byUuid(versions: readonly StateVersion[] | undefined): StateVersion[] {
  return [...(versions ?? [])].sort((a, b) => a.eventUuid.localeCompare(b.eventUuid));
}

const DAY = 86_400;
/** The stores' default horizon: src/pipeline/config.ts `dedupHorizonDays`. */
const HORIZON = 7 * DAY;
/** What the stores keep of one field value (UTF-8 bytes). */
const MAX_FIELD_BYTES = 1024;

/** A realistic event uuid (36 characters), distinct per `i`. */
function uuid(i: number): string {
  return `9f1c0a52-2b4e-4a8e-9a57-${String(i).padStart(12, '0')}`;
}

/**
 * Size of the DynamoDB item an entity's versions make (the user-state table's layout, counted as DynamoDB
 * counts item size): the bound every store keeps, so both hold the same, DynamoDB-sized state.
 */
function itemBytesOf(entity: string, versions: readonly StateVersion[]): number {
  return awsItemBytes({
    entity: { S: entity },
    rev: { N: '1000000' },
    versions: { M: Object.fromEntries(versions.map((v) => [v.eventUuid, versionValue(v)])) },
  });
}

/** The first `MAX_FIELD_BYTES` UTF-8 bytes of `text`, cut at a character boundary. */
function cut(text: string): string {
  let out = '';
  let bytes = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > MAX_FIELD_BYTES) break;
    out += char;
  }
  return out;
}

async function putInBatches(store: StateStore, writes: readonly VersionWrite[], size: number): Promise<void> {
  for (let i = 0; i < writes.length; i += size) await store.putVersions(writes.slice(i, i + size));
}

/**
 * The StateStore contract (src/ports/state-store.ts), run by every adapter: the file store locally,
 * DynamoDB on AWS (and against dynalite). Each test gets its own empty store from `makeStore`.
 */
export function stateStoreContract(name: string, makeStore: () => Promise<StateStoreFixture>): void {
  describe(`StateStore contract: ${name}`, () => {
    let fixture: StateStoreFixture;
    let store: StateStore;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('versions', () => {
      const account = 'account#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01';
      const subscription = 'subscription#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01#en';

      it('answers an empty map for entities never written', async () => {
        expect(await store.getVersions([account, subscription])).toEqual(new Map());
      });

      it('answers an empty map for an empty request', async () => {
        await store.putVersions([write(account, version('e1', 1, { country: 'FR' }))]);

        expect(await store.getVersions([])).toEqual(new Map());
      });

      it('accepts an empty batch of writes', async () => {
        await expect(store.putVersions([])).resolves.toBeUndefined();
      });

      it('returns what was put, exactly', async () => {
        const v = version('e1', 1712511721.022075, { country: 'FR', city: 'Z\u00fcrich', empty: '' });

        await store.putVersions([write(account, v)]);

        expect(await store.getVersions([account])).toEqual(new Map([[account, [v]]]));
      });

      it('returns every version of an entity', async () => {
        const versions = [
          version('e1', 100, { subscription_type: 'monthly', subscription_status: 'active' }),
          version('e2', 200, { subscription_status: 'cancelled' }),
          version('e3', 150, { subscription_type: 'yearly' }),
        ];

        await store.putVersions(versions.map((v) => write(subscription, v)));

        expect(byUuid((await store.getVersions([subscription])).get(subscription))).toEqual(versions);
      });

      it('accumulates versions over several calls', async () => {
        await store.putVersions([write(account, version('e1', 1, { country: 'FR' }))]);
        await store.putVersions([write(account, version('e2', 2, { country: 'DE' }))]);

        expect(byUuid((await store.getVersions([account])).get(account)).map((v) => v.eventUuid)).toEqual([
          'e1',
          'e2',
        ]);
      });

      it('answers only the entities asked for; missing ones are absent from the map', async () => {
        await store.putVersions([
          write(account, version('e1', 1, { country: 'FR' })),
          write(subscription, version('e2', 2, { subscription_type: 'monthly' })),
        ]);

        const found = await store.getVersions([account, 'account#nobody']);

        expect([...found.keys()]).toEqual([account]);
        expect(found.has('account#nobody')).toBe(false);
      });

      it('changes nothing when the same event is written twice', async () => {
        const v = version('e1', 1, { country: 'FR' });

        await store.putVersions([write(account, v)]);
        await store.putVersions([write(account, v)]);

        expect(await store.getVersions([account])).toEqual(new Map([[account, [v]]]));
      });

      it('keeps the first version when a later write reuses its uuid with other content', async () => {
        const first = version('e1', 1, { country: 'FR' });

        await store.putVersions([write(account, first)]);
        await store.putVersions([write(account, version('e1', 99, { country: 'US' }))]);

        expect(await store.getVersions([account])).toEqual(new Map([[account, [first]]]));
      });

      it('keeps the first of two same-uuid versions in one batch', async () => {
        const first = version('e1', 1, { country: 'FR' });

        await store.putVersions([write(account, first), write(account, version('e1', 2, { country: 'US' }))]);

        expect(await store.getVersions([account])).toEqual(new Map([[account, [first]]]));
      });

      it('keys versions by entity and uuid: one uuid may be a version of two entities', async () => {
        const a = version('e1', 1, { country: 'FR' });
        const s = version('e1', 1, { subscription_type: 'monthly' });

        await store.putVersions([write(account, a), write(subscription, s)]);

        const found = await store.getVersions([account, subscription]);
        expect(found.get(account)).toEqual([a]);
        expect(found.get(subscription)).toEqual([s]);
      });

      it('stores a copy: changing the written object afterwards changes nothing', async () => {
        const fields: Record<string, string> = { country: 'FR' };

        await store.putVersions([write(account, { eventUuid: 'e1', createdAt: 1, fields })]);
        fields.country = 'US';

        expect((await store.getVersions([account])).get(account)?.[0]?.fields).toEqual({ country: 'FR' });
      });

      it('keeps every version of many entities written in one batch', async () => {
        const writes = Array.from({ length: 2000 }, (_, i) =>
          write(`account#user-${i % 500}`, version(`e${i}`, i, { country: `C${i}` })),
        );

        await store.putVersions(writes);

        const found = await store.getVersions(Array.from({ length: 500 }, (_, i) => `account#user-${i}`));
        expect(found.size).toBe(500);
        expect([...found.values()].reduce((sum, versions) => sum + versions.length, 0)).toBe(2000);
        expect(byUuid(found.get('account#user-7')).map((v) => v.eventUuid)).toEqual([
          'e1007',
          'e1507',
          'e507',
          'e7',
        ]);
      });
    });

    describe("bounded history (a user-state item stays under DynamoDB's 400 KB)", () => {
      const account = 'account#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01';
      const start = 1_700_000_000;

      /** Under DynamoDB's 400 KB as stored (DynamoDB) and as the same state would be (both), and in budget. */
      async function expectBounded(entity: string, versions: readonly StateVersion[]): Promise<void> {
        expect(itemBytesOf(entity, versions)).toBeLessThan(MAX_ITEM_BYTES);
        expect(versionsMapBytes(versions)).toBeLessThanOrEqual(VERSIONS_BUDGET_BYTES);
        expect(versions.length).toBeLessThanOrEqual(MAX_KEPT_VERSIONS + 1);
        if (fixture.storedItemBytes !== undefined) {
          expect(await fixture.storedItemBytes()).toBeLessThan(MAX_ITEM_BYTES);
        }
      }

      it('keeps 10,000 versions over 60 days under the item limit, exact for lessons within the horizon', async () => {
        // Every version sets the country; every 7th also the plan, so a fold must keep partial updates.
        const all = Array.from({ length: 10_000 }, (_, i) =>
          version(uuid(i), start + (i * 60 * DAY) / 10_000 + 0.25, {
            country: `C${i % 97}`,
            ...(i % 7 === 0 ? { plan: `P${i}` } : {}),
          }),
        );
        // In event-time order, 200 per call, shuffled within a call.
        const writes = all.map((v) => write(account, v));
        for (let i = 0; i < writes.length; i += 200) {
          const batch = writes.slice(i, i + 200);
          await store.putVersions([...batch.slice(100), ...batch.slice(0, 100)]);
        }

        const stored = (await store.getVersions([account])).get(account) ?? [];

        await expectBounded(account, stored);
        expect(stored.length).toBeLessThan(all.length);
        const exact = new EntityTimeline(all);
        const timeline = new EntityTimeline(stored);
        const newest = all[all.length - 1]?.createdAt ?? 0;
        const lessons = all
          .filter((v) => v.createdAt >= newest - HORIZON)
          .flatMap((v) => [v.createdAt, v.createdAt - 0.1]);
        lessons.push(newest - HORIZON, newest + DAY);
        expect(lessons.length).toBeGreaterThan(2000);
        expect(lessons.map((t) => timeline.asOf(t))).toEqual(lessons.map((t) => exact.asOf(t)));
      });

      it('cuts a 200 KB field value to 1 KiB at a character boundary, and such values keep the bound', async () => {
        const huge = '\u20ac'.repeat(70_000); // 210,000 UTF-8 bytes
        const writes = Array.from({ length: 1000 }, (_, i) =>
          write(account, version(uuid(i), start + i * 60, { country: `${i}:${huge}` })),
        );

        await putInBatches(store, writes, 100);

        const stored = (await store.getVersions([account])).get(account) ?? [];
        await expectBounded(account, stored);
        for (const v of stored) {
          for (const value of Object.values(v.fields)) {
            expect(Buffer.byteLength(value, 'utf8')).toBeLessThanOrEqual(MAX_FIELD_BYTES);
          }
        }
        // The newest version is kept, its value cut as late as a whole character allows.
        const newest = new EntityTimeline(stored).asOf(start + 999 * 60);
        expect(newest).toEqual({ country: cut(`999:${huge}`) });
        expect(Buffer.byteLength(newest?.country ?? '', 'utf8')).toBeGreaterThan(MAX_FIELD_BYTES - 3);
      });

      it('keeps first-wins within the horizon once older versions were folded', async () => {
        const all = Array.from({ length: 3000 }, (_, i) =>
          version(uuid(i), start + i * ((60 * DAY) / 3000), { country: `C${i}` }),
        );
        await putInBatches(
          store,
          all.map((v) => write(account, v)),
          500,
        );
        const before = (await store.getVersions([account])).get(account) ?? [];

        // Rewrites of kept versions with other content, and re-sent folded events.
        await store.putVersions([
          write(account, version(uuid(2999), start + 61 * DAY, { country: 'XX' })),
          write(account, version(uuid(2990), start + 60 * DAY, { country: 'YY' })),
          write(account, all[0] as StateVersion),
          write(account, all[1500] as StateVersion),
        ]);

        const after = (await store.getVersions([account])).get(account) ?? [];
        expect(byUuid(after)).toEqual(byUuid(before));
        const kept = new Set(after.map((v) => v.eventUuid));
        expect(kept.has(uuid(2999))).toBe(true);
        expect(kept.has(uuid(0))).toBe(false);
        expect(kept.has(uuid(1500))).toBe(false);
        await expectBounded(account, after);
      });

      it('folds history past the horizon into one base: later lessons exact, older ones see the base state', async () => {
        await store.putVersions([
          write(account, version(uuid(1), start, { country: 'FR', plan: 'free' })),
          write(account, version(uuid(2), start + DAY, { country: 'DE' })),
          write(account, version(uuid(3), start + 20 * DAY, { country: 'ES' })),
        ]);
        // Older than the base: folded history is not rewritten.
        await store.putVersions([
          write(account, version(uuid(4), start + DAY / 2, { country: 'IT', city: 'Rome' })),
        ]);

        const stored = (await store.getVersions([account])).get(account) ?? [];
        expect(stored).toHaveLength(2);
        expect(stored.map((v) => v.eventUuid)).not.toContain(uuid(4));
        const timeline = new EntityTimeline(stored);
        expect(timeline.asOf(start + 20 * DAY)).toEqual({ country: 'ES', plan: 'free' });
        expect(timeline.asOf(start + 19 * DAY)).toEqual({ country: 'DE', plan: 'free' });
        expect(timeline.asOf(start + DAY)).toEqual({ country: 'DE', plan: 'free' });
        // Between the first and the last folded version: the base state (exactly: FR).
        expect(timeline.asOf(start + DAY / 2)).toEqual({ country: 'DE', plan: 'free' });
        // Before anything folded: no state, as before.
        expect(timeline.asOf(start - 1)).toBeUndefined();
      });

      it('loses no version when several writers add to one entity at once', async () => {
        const writers = Array.from({ length: 6 }, (_, w) =>
          Array.from({ length: 40 }, (_, i) =>
            write(account, version(uuid(w * 100 + i), start + w * 100 + i, { country: `W${w}` })),
          ).concat([write(account, version('shared', start, { country: `W${w}` }))]),
        );

        await Promise.all(writers.map((writes) => store.putVersions(writes)));

        const stored = (await store.getVersions([account])).get(account) ?? [];
        expect(stored).toHaveLength(6 * 40 + 1);
        expect(writers.map((writes) => writes.at(-1)?.version)).toContainEqual(
          stored.find((v) => v.eventUuid === 'shared'),
        );
      });

      it('stores an entity whose key is longer than a DynamoDB partition key may be (2048 bytes)', async () => {
        const long = `subscription#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01#${'x'.repeat(3000)}`;
        const other = `${long}y`;
        const v = version(uuid(1), start, { subscription_type: 'monthly' });
        const w = version(uuid(2), start, { subscription_type: 'yearly' });

        await store.putVersions([write(long, v), write(other, w)]);

        expect(await store.getVersions([long, other, `${long}z`])).toEqual(
          new Map([
            [long, [v]],
            [other, [w]],
          ]),
        );
      });
    });

    describe('deleteUser (eventlake forget)', () => {
      const user = '9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01';
      const other = '9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a02';
      const mine = [`account#${user}`, `subscription#${user}#en`, `subscription#${user}#es`];
      // Another user whose id starts with this one's, and keys that only contain it: all kept.
      const theirs = [`account#${other}`, `subscription#${other}#en`, `account#${user}x`, `subscription#${user}x#en`, `account#x${user}`];

      it('removes every entity of the user and nothing else, and says how many', async () => {
        await store.putVersions([...mine, ...theirs].map((entity, i) => write(entity, version(uuid(i), 100 + i, { country: 'FR' }))));

        expect(await store.deleteUser(user)).toBe(3);

        const left = await store.getVersions([...mine, ...theirs]);
        expect([...left.keys()].sort()).toEqual([...theirs].sort());
      });

      it('is a no-op the second time and for a user never seen', async () => {
        await store.putVersions([write(mine[0] as string, version(uuid(1), 1, { country: 'FR' }))]);
        expect(await store.deleteUser(user)).toBe(1);

        expect(await store.deleteUser(user)).toBe(0);
        expect(await store.deleteUser(other)).toBe(0);
      });

      it('starts an entity afresh when the user is written again afterwards', async () => {
        await store.putVersions([write(mine[0] as string, version(uuid(1), 1, { country: 'FR' }))]);
        await store.deleteUser(user);

        await store.putVersions([write(mine[0] as string, version(uuid(2), 2, { country: 'DE' }))]);

        expect(await store.getVersions([mine[0] as string])).toEqual(new Map([[mine[0], [version(uuid(2), 2, { country: 'DE' })]]]));
      });

      it('removes more entities than one batch write holds (25)', async () => {
        const many = Array.from({ length: 60 }, (_, i) => `subscription#${user}#lang${i}`);
        await store.putVersions(many.map((entity, i) => write(entity, version(uuid(i), 1, { subscription_type: 'monthly' }))));

        expect(await store.deleteUser(user)).toBe(60);
        expect(await store.getVersions(many)).toEqual(new Map());
      });
    });

    describe('lease', () => {
      const lease = 'scheduled-run';

      it('is acquired when free', async () => {
        const result = await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        expect(result.acquired).toBe(true);
        expect(result.expiresAtMs).toBe(T0 + TTL_MS);
      });

      it('is described with its holder, since and expiry, and no longer once released', async () => {
        expect(await store.describeLease(lease)).toBeUndefined();
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        expect(await store.describeLease(lease)).toMatchObject({ owner: 'exec-a', acquiredAtMs: T0, expiresAtMs: T0 + TTL_MS });
        await store.releaseLease(lease, 'exec-a');
        expect(await store.describeLease(lease)).toBeUndefined();
      });

      it('is refused to another owner while held, naming the holder and the expiry', async () => {
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        const result = await store.acquireLease({
          name: lease,
          owner: 'exec-b',
          nowMs: T0 + 1000,
          ttlMs: TTL_MS,
        });

        expect(result).toEqual({ acquired: false, holder: 'exec-a', expiresAtMs: T0 + TTL_MS });
      });

      it('is refused one millisecond before it expires', async () => {
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        const result = await store.acquireLease({
          name: lease,
          owner: 'exec-b',
          nowMs: T0 + TTL_MS - 1,
          ttlMs: TTL_MS,
        });

        expect(result.acquired).toBe(false);
      });

      it('is taken over by another owner once expired (now >= expiresAt)', async () => {
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        const result = await store.acquireLease({
          name: lease,
          owner: 'exec-b',
          nowMs: T0 + TTL_MS,
          ttlMs: TTL_MS,
        });

        expect(result).toMatchObject({ acquired: true, expiresAtMs: T0 + 2 * TTL_MS });
        expect(
          await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0 + TTL_MS + 1, ttlMs: TTL_MS }),
        ).toMatchObject({ acquired: false, holder: 'exec-b' });
      });

      it('is renewed by its holder, moving the expiry', async () => {
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        const renewed = await store.acquireLease({
          name: lease,
          owner: 'exec-a',
          nowMs: T0 + 50_000,
          ttlMs: TTL_MS,
        });

        expect(renewed).toMatchObject({ acquired: true, expiresAtMs: T0 + 50_000 + TTL_MS });
        expect(
          await store.acquireLease({ name: lease, owner: 'exec-b', nowMs: T0 + TTL_MS + 1, ttlMs: TTL_MS }),
        ).toEqual({ acquired: false, holder: 'exec-a', expiresAtMs: T0 + 50_000 + TTL_MS });
      });

      it('is released by its holder and can then be taken by another owner', async () => {
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        expect(await store.releaseLease(lease, 'exec-a')).toBe(true);

        expect(
          await store.acquireLease({ name: lease, owner: 'exec-b', nowMs: T0 + 1, ttlMs: TTL_MS }),
        ).toMatchObject({
          acquired: true,
        });
      });

      it('refuses a release by another owner and stays held', async () => {
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        expect(await store.releaseLease(lease, 'exec-b')).toBe(false);

        expect(
          await store.acquireLease({ name: lease, owner: 'exec-c', nowMs: T0 + 1, ttlMs: TTL_MS }),
        ).toMatchObject({
          acquired: false,
          holder: 'exec-a',
        });
      });

      it('answers false to a release of a lease never taken', async () => {
        expect(await store.releaseLease(lease, 'exec-a')).toBe(false);
      });

      it('answers false to a second release', async () => {
        await store.acquireLease({ name: lease, owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });
        await store.releaseLease(lease, 'exec-a');

        expect(await store.releaseLease(lease, 'exec-a')).toBe(false);
      });

      it('keeps leases of different names apart', async () => {
        await store.acquireLease({ name: 'lease-1', owner: 'exec-a', nowMs: T0, ttlMs: TTL_MS });

        expect(
          await store.acquireLease({ name: 'lease-2', owner: 'exec-b', nowMs: T0, ttlMs: TTL_MS }),
        ).toMatchObject({
          acquired: true,
        });
      });

      it('goes to exactly one of many owners asking at once', async () => {
        const owners = Array.from({ length: 12 }, (_, i) => `exec-${i}`);

        const results = await Promise.all(
          owners.map((owner) => store.acquireLease({ name: lease, owner, nowMs: T0, ttlMs: TTL_MS })),
        );

        const winners = results.filter((r) => r.acquired);
        expect(winners).toHaveLength(1);
        const holder = owners[results.findIndex((r) => r.acquired)];
        for (const loser of results.filter((r) => !r.acquired)) expect(loser.holder).toBe(holder);
      });
    });

    describe('checkpoint', () => {
      const cp = 'scheduled';
      const pending = {
        batchId: 'batch-2024-04-07T17',
        manifestKey: 'staging/batch-2024-04-07T17/manifest.json',
      };

      it('is {version: 0} when never written', async () => {
        expect(await store.getCheckpoint(cp)).toEqual({ version: 0 });
      });

      it('is written when the expected version matches, bumping it by one', async () => {
        const written = await store.putCheckpoint({ name: cp, expectedVersion: 0, pending });

        expect(written).toEqual({ version: 1, pending });
        expect(await store.getCheckpoint(cp)).toEqual({ version: 1, pending });
      });

      it('stores every field exactly as given', async () => {
        await store.putCheckpoint({ name: cp, expectedVersion: 0, pending });
        const committed = {
          name: cp,
          expectedVersion: 1,
          lastBatchId: 'batch-2024-04-07T17',
          committedAt: '2024-04-07T17:05:00.000Z',
        };

        const written = await store.putCheckpoint(committed);

        const expected = {
          version: 2,
          lastBatchId: committed.lastBatchId,
          committedAt: committed.committedAt,
        };
        expect(written).toEqual(expected);
        expect(await store.getCheckpoint(cp)).toEqual(expected);
      });

      it('clears the fields a write does not state', async () => {
        await store.putCheckpoint({
          name: cp,
          expectedVersion: 0,
          pending,
          lastBatchId: 'b0',
          committedAt: '2024-04-07T16:05:00.000Z',
        });

        await store.putCheckpoint({ name: cp, expectedVersion: 1 });

        expect(await store.getCheckpoint(cp)).toEqual({ version: 2 });
      });

      it('counts versions up by one per write', async () => {
        for (let expectedVersion = 0; expectedVersion < 5; expectedVersion += 1) {
          await store.putCheckpoint({ name: cp, expectedVersion, lastBatchId: `b${expectedVersion}` });
        }

        expect(await store.getCheckpoint(cp)).toEqual({ version: 5, lastBatchId: 'b4' });
      });

      it('throws CheckpointConflictError when the stored version differs, and changes nothing', async () => {
        await store.putCheckpoint({ name: cp, expectedVersion: 0, lastBatchId: 'b1' });

        await expect(
          store.putCheckpoint({ name: cp, expectedVersion: 0, lastBatchId: 'b-stale' }),
        ).rejects.toMatchObject({ name: ErrorNames.CheckpointConflict });
        await expect(
          store.putCheckpoint({ name: cp, expectedVersion: 7, lastBatchId: 'b-future' }),
        ).rejects.toMatchObject({ name: 'EventLake.CheckpointConflict' });
        expect(await store.getCheckpoint(cp)).toEqual({ version: 1, lastBatchId: 'b1' });
      });

      it('throws CheckpointConflictError for a first write that expects a version that never existed', async () => {
        await expect(store.putCheckpoint({ name: cp, expectedVersion: 1 })).rejects.toMatchObject({
          name: ErrorNames.CheckpointConflict,
        });
        expect(await store.getCheckpoint(cp)).toEqual({ version: 0 });
      });

      it('lets exactly one of several writers expecting the same version win', async () => {
        const attempts = Array.from({ length: 8 }, (_, i) =>
          store.putCheckpoint({
            name: cp,
            expectedVersion: 0,
            lastBatchId: `writer-${i}`,
            processedKeys: [`raw/${i}`],
          }),
        );

        const outcomes = await Promise.allSettled(attempts);

        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        for (const loss of lost) expect(loss.reason).toMatchObject({ name: ErrorNames.CheckpointConflict });
        const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
        expect(await store.getCheckpoint(cp)).toEqual({ version: 1, lastBatchId: `writer-${winner}` });
        const allKeys = Array.from({ length: 8 }, (_, i) => `raw/${i}`);
        expect(await store.filterProcessed(allKeys)).toEqual(new Set([`raw/${winner}`]));
      });

      it('keeps checkpoints of different names apart', async () => {
        await store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, lastBatchId: 's1' });

        expect(await store.getCheckpoint('backfill-2024-04-01-2024-04-07')).toEqual({ version: 0 });
        await store.putCheckpoint({
          name: 'backfill-2024-04-01-2024-04-07',
          expectedVersion: 0,
          lastBatchId: 'b1',
        });
        expect(await store.getCheckpoint('scheduled')).toEqual({ version: 1, lastBatchId: 's1' });
      });
    });

    describe('processed ledger', () => {
      const cp = 'scheduled';
      const keys = ['raw/2024/04/07/17/a.gz', 'raw/2024/04/07/17/b.gz', 'raw/2024/04/07/18/c.gz'];

      it('holds nothing before any commit', async () => {
        expect(await store.filterProcessed(keys)).toEqual(new Set());
      });

      it('answers an empty set for an empty question', async () => {
        await store.putCheckpoint({ name: cp, expectedVersion: 0, processedKeys: keys });

        expect(await store.filterProcessed([])).toEqual(new Set());
      });

      it('holds the keys committed with a checkpoint', async () => {
        await store.putCheckpoint({ name: cp, expectedVersion: 0, processedKeys: keys.slice(0, 2) });

        expect(await store.filterProcessed(keys)).toEqual(new Set(keys.slice(0, 2)));
      });

      it('accumulates keys over commits', async () => {
        await store.putCheckpoint({ name: cp, expectedVersion: 0, processedKeys: [keys[0] ?? ''] });
        await store.putCheckpoint({ name: cp, expectedVersion: 1, processedKeys: [keys[1] ?? ''] });
        await store.putCheckpoint({ name: cp, expectedVersion: 2 });

        expect(await store.filterProcessed(keys)).toEqual(new Set(keys.slice(0, 2)));
      });

      it('adds no key when the checkpoint write conflicts', async () => {
        await store.putCheckpoint({ name: cp, expectedVersion: 0, processedKeys: [keys[0] ?? ''] });

        await expect(
          store.putCheckpoint({
            name: cp,
            expectedVersion: 0,
            processedKeys: [keys[1] ?? '', keys[2] ?? ''],
          }),
        ).rejects.toMatchObject({ name: ErrorNames.CheckpointConflict });

        expect(await store.filterProcessed(keys)).toEqual(new Set([keys[0]]));
      });

      it('accepts a key committed twice', async () => {
        await store.putCheckpoint({
          name: cp,
          expectedVersion: 0,
          processedKeys: [keys[0] ?? '', keys[0] ?? ''],
        });
        await store.putCheckpoint({ name: cp, expectedVersion: 1, processedKeys: [keys[0] ?? ''] });

        expect(await store.filterProcessed(keys)).toEqual(new Set([keys[0]]));
      });

      it('is one ledger for every checkpoint name', async () => {
        await store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: [keys[0] ?? ''] });
        await store.putCheckpoint({ name: 'backfill-x', expectedVersion: 0, processedKeys: [keys[2] ?? ''] });

        expect(await store.filterProcessed(keys)).toEqual(new Set([keys[0], keys[2]]));
      });

      it('matches keys exactly, not by prefix or case', async () => {
        await store.putCheckpoint({
          name: cp,
          expectedVersion: 0,
          processedKeys: ['raw/2024/04/07/17/a.gz'],
        });

        expect(
          await store.filterProcessed([
            'raw/2024/04/07/17/a',
            'RAW/2024/04/07/17/A.GZ',
            'raw/2024/04/07/17/a.gz.1',
          ]),
        ).toEqual(new Set());
      });

      it.each([99, 100, 1000, 5000])('commits %i processed keys with the checkpoint', async (count) => {
        const many = Array.from(
          { length: count },
          (_, i) =>
            `raw/2024/04/07/${String(i % 24).padStart(2, '0')}/firehose-1-2024-04-07-${'0'.repeat(120)}-${i}.gz`,
        );

        const written = await store.putCheckpoint({
          name: cp,
          expectedVersion: 0,
          lastBatchId: 'b1',
          processedKeys: many,
        });

        expect(written).toEqual({ version: 1, lastBatchId: 'b1' });
        expect(await store.getCheckpoint(cp)).toEqual({ version: 1, lastBatchId: 'b1' });
        expect((await store.filterProcessed([...many, 'raw/never'])).size).toBe(count);
      });

      it('holds thousands of keys', async () => {
        const many = Array.from(
          { length: 5000 },
          (_, i) => `raw/2024/04/07/${String(i % 24).padStart(2, '0')}/part-${i}.gz`,
        );
        await store.putCheckpoint({ name: cp, expectedVersion: 0, processedKeys: many.slice(0, 4000) });

        const processed = await store.filterProcessed(many);

        expect(processed.size).toBe(4000);
        expect(processed.has(many[3999] ?? '')).toBe(true);
        expect(processed.has(many[4000] ?? '')).toBe(false);
      });
    });
  });
}
