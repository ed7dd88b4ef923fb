import type { EntityKey } from '../../../src/ports/state-store';
import { TimelineCache } from '../../../src/pipeline/timeline-cache';
import { EntityTimeline } from '../../../src/pipeline/user-state';

const key = (i: number): EntityKey => `account#u${i}`;
const timeline = new EntityTimeline([{ eventUuid: 'e1', createdAt: 1, fields: { country: 'DE' } }]);

describe('TimelineCache', () => {
  it('holds at most two generations: an entity set 2 x maxEntities sets ago is read from the store again', () => {
    const cache = new TimelineCache(3).forBatch('b1');
    for (let i = 0; i < 7; i++) cache.set(key(i), timeline);

    // 0..2 were the older generation when 6 started a new one: dropped.
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => cache.get(key(i)) !== undefined)).toEqual([false, false, false, true, true, true, true]);
  });

  it('moves an entity read from the older generation into the newer one, so it outlives the older', () => {
    const cache = new TimelineCache(2).forBatch('b1');
    cache.set(key(0), timeline);
    cache.set(key(1), timeline);
    cache.set(key(2), timeline); // 0 and 1 are the older generation now
    expect(cache.get(key(0))).toBe(timeline); // 0 joins 2 in the newer one

    cache.set(key(3), timeline); // the newer (2, 0) becomes the older, 1 is dropped

    expect(cache.get(key(0))).toBe(timeline);
    expect(cache.get(key(1))).toBeUndefined();
  });

  it('remembers an entity the store does not have (null) apart from one it never read (undefined)', () => {
    const cache = new TimelineCache().forBatch('b1');
    cache.set(key(1), null);

    expect(cache.get(key(1))).toBeNull();
    expect(cache.get(key(2))).toBeUndefined();
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });
  });

  it('starts over for another batch and keeps everything for the same one', () => {
    const cache = new TimelineCache().forBatch('b1');
    cache.set(key(1), timeline);

    expect(cache.forBatch('b1').get(key(1))).toBe(timeline);
    expect(cache.forBatch('b2').get(key(1))).toBeUndefined();
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new TimelineCache(0)).toThrow(RangeError);
    expect(() => new TimelineCache(1.5)).toThrow(RangeError);
  });
});
