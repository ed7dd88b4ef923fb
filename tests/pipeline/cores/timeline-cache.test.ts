import { TimelineCache } from '../../../src/pipeline/timeline-cache';
import { EntityTimeline } from '../../../src/pipeline/user-state';

const timeline = new EntityTimeline([{ eventUuid: 'e1', createdAt: 1, fields: { country: 'DE' } }]);

/** Reads user `u<i>` and marks its account read, as enrichment does after a state read. */
function read(cache: TimelineCache, i: number): void {
  cache.user(`u${i}`).account = timeline;
}

/** Whether the cache still holds what was read of user `u<i>` (asking holds it from then on). */
function holds(cache: TimelineCache, i: number): boolean {
  return cache.user(`u${i}`).account !== undefined;
}

describe('TimelineCache', () => {
  it('holds at most two generations: a user read 2 x maxUsers users ago starts with nothing read', () => {
    const cache = new TimelineCache(3).forBatch('b1');
    for (let i = 0; i < 7; i++) read(cache, i);

    // 0..2 were the older generation when 6 started a new one: dropped. (Asked newest first, so the
    // asking moves nothing out before it is asked.)
    expect([6, 5, 4, 3].map((i) => holds(cache, i))).toEqual([true, true, true, true]);
    expect(holds(cache, 0)).toBe(false);
  });

  it('moves a user found in the older generation into the newer one, so it outlives the older', () => {
    const cache = new TimelineCache(2).forBatch('b1');
    read(cache, 0);
    read(cache, 1);
    read(cache, 2); // 0 and 1 are the older generation now
    expect(holds(cache, 0)).toBe(true); // 0 joins 2 in the newer one

    read(cache, 3); // the newer (2, 0) becomes the older, 1 is dropped

    expect(holds(cache, 0)).toBe(true);
    expect(holds(cache, 1)).toBe(false);
  });

  it('keeps what was read of a user, none (null) apart from not read (undefined), and counts users found', () => {
    const cache = new TimelineCache().forBatch('b1');
    const user = cache.user('u1');
    user.account = null;
    user.subscriptions.set('de', timeline);

    expect(cache.user('u1')).toBe(user);
    expect(cache.user('u1').account).toBeNull();
    expect(cache.user('u2').account).toBeUndefined();
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 2 });
  });

  it('starts over for another batch and keeps everything for the same one', () => {
    const cache = new TimelineCache().forBatch('b1');
    read(cache, 1);

    expect(holds(cache.forBatch('b1'), 1)).toBe(true);
    expect(holds(cache.forBatch('b2'), 1)).toBe(false);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new TimelineCache(0)).toThrow(RangeError);
    expect(() => new TimelineCache(1.5)).toThrow(RangeError);
  });
});
