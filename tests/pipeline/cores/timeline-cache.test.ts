import { FOLDED_BASE_UUID, type StateVersion } from '../../../src/ports/state-store';
import { TimelineCache } from '../../../src/pipeline/timeline-cache';
import { EntityTimeline } from '../../../src/pipeline/user-state';

const v = (eventUuid: string, createdAt: number, fields: Record<string, string>, foldedSince?: number): StateVersion => ({
  eventUuid, createdAt, fields, ...(foldedSince !== undefined ? { foldedSince } : {}),
});

/** Reads user `u<i>`'s account (one version: country C<i>), as enrichment does after a state read. */
function read(cache: TimelineCache, i: number): void {
  const account = cache.account(cache.user(`u${i}`));
  if (!cache.isRead(account)) cache.fill(account, [v(`e${i}`, 100, { country: `C${i}` })]);
}

/** Whether the cache still holds user `u<i>`'s account (asking holds the user from then on). */
function holds(cache: TimelineCache, i: number): boolean {
  return cache.isRead(cache.account(cache.user(`u${i}`)));
}

describe('TimelineCache', () => {
  it('answers as EntityTimeline folds the same versions, at every time around every version', () => {
    // Prepare: partial updates, a tie broken by uuid, a folded base whose state holds from foldedSince.
    const histories: StateVersion[][] = [
      [v('c', 300, { subscription_type: 'monthly' }), v('a', 100, { subscription_type: 'yearly', subscription_status: 'active' }), v('b', 200, { subscription_status: 'paused' })],
      [v('b', 100, { country: 'FR' }), v('a', 100, { country: 'DE' })],
      [v(FOLDED_BASE_UUID, 500, { country: 'DE' }, 100), v('x', 900, { country: 'FR' })],
      [v('only', 50, { country: 'ES' })],
      [],
    ];
    const cache = new TimelineCache().forBatch('b1');
    const user = cache.user('u1');
    const slots = histories.map((_, i) => (i === 0 ? cache.account(user) : cache.subscription(user, `l${i}`)));
    histories.forEach((history, i) => cache.fill(slots[i] as number, i === 4 ? undefined : history));

    // Act / Assess
    for (const [i, history] of histories.entries()) {
      const timeline = new EntityTimeline(history);
      for (let t = 0; t <= 1000; t += 50) {
        for (const at of [t - 1, t, t + 0.5]) expect([i, at, cache.asOf(slots[i] as number, at)]).toEqual([i, at, timeline.asOf(at)]);
      }
    }
  });

  it('keeps the account and each language subscription of a user apart, and the same slot for the same entity', () => {
    const cache = new TimelineCache().forBatch('b1');
    const u1 = cache.user('u1');
    const u2 = cache.user('u2');
    const entities = [cache.account(u1), cache.subscription(u1, 'de'), cache.subscription(u1, 'fr'), cache.account(u2), cache.subscription(u2, 'de')];
    entities.forEach((slot, i) => cache.fill(slot, [v(`e${i}`, 10, { country: `X${i}` })]));

    expect(new Set(entities).size).toBe(5);
    expect([cache.account(cache.user('u1')), cache.subscription(cache.user('u1'), 'fr'), cache.subscription(cache.user('u2'), 'de')]).toEqual([entities[0], entities[2], entities[4]]);
    expect(entities.map((slot) => cache.asOf(slot, 10)?.country)).toEqual(['X0', 'X1', 'X2', 'X3', 'X4']);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 3, misses: 2 });
  });

  it('tells an entity with no version (read: nothing as of any time) from one not read (refused)', () => {
    const cache = new TimelineCache().forBatch('b1');
    const none = cache.account(cache.user('u1'));
    const unread = cache.account(cache.user('u2'));
    cache.fill(none, undefined);

    expect(cache.isRead(none)).toBe(true);
    expect(cache.asOf(none, 1e12)).toBeUndefined();
    expect(cache.isRead(unread)).toBe(false);
    expect(() => cache.asOf(unread, 1e12)).toThrow(/not read/);
  });

  it('starts over on reserve when the lessons to come could take it past maxUsers, and keeps everything otherwise', () => {
    const cache = new TimelineCache({ maxUsers: 10, maxVersions: 1000 }).forBatch('b1');
    cache.reserve(4);
    for (let i = 0; i < 4; i++) read(cache, i);
    cache.reserve(6); // 4 + 6 <= 10: kept
    expect([0, 1, 2, 3].map((i) => holds(cache, i))).toEqual([true, true, true, true]);
    for (let i = 4; i < 10; i++) read(cache, i);

    cache.reserve(1); // 10 + 1 > 10: starts over

    expect(holds(cache, 9)).toBe(false);
    read(cache, 9);
    expect(cache.asOf(cache.account(cache.user('u9')), 100)).toEqual({ country: 'C9' });
  });

  it('starts over on reserve once it holds maxVersions versions', () => {
    const cache = new TimelineCache({ maxUsers: 1000, maxVersions: 3 }).forBatch('b1');
    for (let i = 0; i < 2; i++) read(cache, i);
    cache.reserve(1);
    expect(holds(cache, 0)).toBe(true);
    read(cache, 2); // 3 versions

    cache.reserve(1);

    expect(holds(cache, 0)).toBe(false);
  });

  it('holds timelines past the size its arrays start with', () => {
    const cache = new TimelineCache().forBatch('b1');
    for (let i = 0; i < 5000; i++) read(cache, i);

    expect([0, 1023, 1024, 4999].map((i) => cache.asOf(cache.account(cache.user(`u${i}`)), 100)?.country)).toEqual(['C0', 'C1023', 'C1024', 'C4999']);
  });

  it('starts over for another batch and keeps everything for the same one', () => {
    const cache = new TimelineCache().forBatch('b1');
    read(cache, 1);

    expect(holds(cache.forBatch('b1'), 1)).toBe(true);
    expect(holds(cache.forBatch('b2'), 1)).toBe(false);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new TimelineCache({ maxUsers: 0, maxVersions: 10 })).toThrow(/maxUsers/);
    expect(() => new TimelineCache({ maxUsers: 10, maxVersions: 1.5 })).toThrow(/maxVersions/);
  });
});
