import { capBatch, MAX_SLICES_PER_BATCH, planBatch } from '../../src/pipeline/plan-batch';
import { DEFAULT_CONFIG } from '../../src/pipeline/config';
import type { ObjectInfo } from '../../src/ports/object-store';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { backfillOk, curatedRows, expectBalanced, runOk } from '../helpers/run';

const objects = (n: number, sizeBytes: number): ObjectInfo[] =>
  Array.from({ length: n }, (_v, i) => ({ key: `raw/2026/01/01/00/o-${String(i).padStart(6, '0')}.gz`, sizeBytes }));

describe('batch caps (issue 6: no state payload grows with the backlog)', () => {
  it('takes the longest prefix within the object cap', () => {
    expect(capBatch(objects(10, 1), { ...DEFAULT_CONFIG, maxBatchObjects: 4 })).toHaveLength(4);
  });

  it('takes the longest prefix within the byte cap, and an object larger than the cap alone', () => {
    expect(capBatch(objects(10, 100), { ...DEFAULT_CONFIG, maxBatchBytes: 350 })).toHaveLength(3);
    expect(capBatch(objects(3, 1000), { ...DEFAULT_CONFIG, maxBatchBytes: 350 })).toHaveLength(1);
  });

  it('never plans more slices than the Map history allows, whatever the caps say', () => {
    const config = { ...DEFAULT_CONFIG, maxBatchObjects: 100_000, maxBatchBytes: Number.MAX_SAFE_INTEGER, sliceMaxBytes: 10 };
    expect(capBatch(objects(5000, 10), config).length).toBeLessThanOrEqual(MAX_SLICES_PER_BATCH);
  });

  describe('on a lake', () => {
    let lake: TestLake;
    beforeEach(async () => {
      lake = await makeTestLake({ config: { maxBatchObjects: 2 } });
      for (let h = 0; h < 5; h++) await putRaw(lake, rawKey(h, `o${h}`), [otherEvent(T0 + h), lessonEvent('u1', 'es', T0 + h + 0.5)]);
    });
    afterEach(() => lake.cleanup());

    it('drains a backlog over successive scheduled batches, each object exactly once', async () => {
      const first = await runOk(lake);
      // Planned, not run: the next run resumes this batch and still knows the backlog behind it.
      const plan = await planBatch(lake, { mode: 'scheduled' });

      expect(first).toMatchObject({ objects_read: 2, backlog_objects: 3 });
      expect(plan).toMatchObject({ object_count: 2, backlog_objects: 1 });
      const second = await runOk(lake);
      const third = await runOk(lake);
      const fourth = await runOk(lake);
      expect([second.objects_read, second.backlog_objects, third.objects_read, third.backlog_objects]).toEqual([2, 1, 1, 0]);
      expect(fourth.status).toBe('nothing_to_do');
      for (const s of [first, second, third]) expectBalanced(s);
      expect(await curatedRows(lake)).toHaveLength(10);
    });

    it('continues a capped backfill after the last key of its previous batch', async () => {
      const first = await backfillOk(lake, '2024-04-07', '2024-04-07');
      expect(first).toMatchObject({ objects_read: 2, backlog_objects: 3, next_after: rawKey(1, 'o1') });

      const plan = await planBatch(lake, { mode: 'backfill', from: '2024-04-07', to: '2024-04-07', after: first.next_after ?? '' });

      expect(plan).toMatchObject({ object_count: 2, backlog_objects: 1 });
    });
  });
});
