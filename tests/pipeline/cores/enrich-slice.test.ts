import { ObjectNotFoundError } from '../../../src/errors';
import { Layout } from '../../../src/ports/layout';
import { enrichSlice } from '../../../src/pipeline/enrich-slice';
import { TimelineCache } from '../../../src/pipeline/timeline-cache';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, subscriptionEvent, T0, type TestLake } from '../../helpers/lake';
import { enrichAll, stagedRows, planOn, sliceRef, validateAll } from '../../helpers/stages';
import { runOk } from '../../helpers/run';

describe('enrichSlice', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('gives each lesson the account and subscription state as of its own created_at', async () => {
    // Prepare
    const noAccount = lessonEvent('u2', 'de', T0 + 30);
    const beforeSubscription = lessonEvent('u1', 'de', T0 + 5);
    const enriched = lessonEvent('u1', 'de', T0 + 20);
    const beforeAccount = lessonEvent('u1', 'de', T0 - 5);
    // Lessons arrive in an earlier object than the state they need: pass 1 of every slice runs first.
    await putRaw(lake, rawKey(10, 'a'), [noAccount, beforeSubscription, enriched, beforeAccount]);
    await putRaw(lake, rawKey(11, 'b'), [accountEvent('u1', T0, { country: 'DE' }), subscriptionEvent('u1', 'de', T0 + 10, { subscription_type: 'yearly', subscription_status: 'active' })]);
    const plan = await planOn(lake);
    await validateAll(lake, plan);

    // Act
    const result = await enrichSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(result).toEqual({ slice: 0, lessons: 4, enriched: 1, no_account: 2, no_subscription: 1 });
    const rows = await stagedRows(lake, Layout.stagedEnriched(plan.batch_id, 0).key(0));
    const pick = (r: Record<string, unknown>) => [r.event_uuid, r.country, r.subscription_type, r.subscription_status, r.enrichment_status];
    expect(rows.map(pick)).toEqual([
      [noAccount.event_uuid, null, null, null, 'no_account'],
      [beforeSubscription.event_uuid, 'DE', null, null, 'no_subscription'],
      [enriched.event_uuid, 'DE', 'yearly', 'active', 'enriched'],
      [beforeAccount.event_uuid, null, null, null, 'no_account'],
    ]);
  });

  it('writes an empty enriched part for a slice without lessons', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const plan = await planOn(lake);
    await validateAll(lake, plan);

    // Act
    const result = await enrichSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(result).toEqual({ slice: 0, lessons: 0, enriched: 0, no_account: 0, no_subscription: 0 });
    expect(await stagedRows(lake, Layout.stagedEnriched(plan.batch_id, 0).key(0))).toEqual([]);
  });

  it('fails with ObjectNotFoundError when the slice was never validated', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [lessonEvent('u1', 'de', T0)]);
    const plan = await planOn(lake);

    // Act / Assess
    await expect(enrichSlice(lake, sliceRef(plan.batch_id, 0))).rejects.toThrow(ObjectNotFoundError);
  });

  describe('with a timeline cache', () => {
    const pick = (r: Record<string, unknown>) => [r.event_uuid, r.country, r.subscription_type, r.subscription_status, r.enrichment_status];

    it.each([
      ['fewer users than the lessons have (it starts over within the slice)', { maxUsers: 16, maxVersions: 10_000 }, true],
      ['every user (the second enrichment reads no state)', { maxUsers: 10_000, maxVersions: 10_000 }, false],
    ])('enriches every lesson as without one when it holds %s', async (_, bounds, readsAgain) => {
      // Prepare: 300 users, each with an account, most with a subscription, and three lessons (one of a user
      // without state); 900 lessons in one stretch of lookups.
      const lines: object[] = [];
      for (let i = 0; i < 300; i++) {
        lines.push(accountEvent(`u${i}`, T0, { country: ['DE', 'FR', 'ES'][i % 3] as string }));
        if (i % 4 !== 0) lines.push(subscriptionEvent(`u${i}`, 'de', T0 + 10, { subscription_type: i % 2 === 0 ? 'yearly' : 'trial', subscription_status: 'active' }));
        lines.push(lessonEvent(`u${i}`, 'de', T0 + 5), lessonEvent(`u${i}`, 'de', T0 + 20), lessonEvent(`u${i + 1000}`, 'de', T0 + 20));
      }
      await putRaw(lake, rawKey(10, 'a'), lines);
      const plan = await planOn(lake);
      await validateAll(lake, plan);
      const out = Layout.stagedEnriched(plan.batch_id, 0).key(0);
      const uncached = await enrichSlice(lake, sliceRef(plan.batch_id, 0));
      const expected = (await stagedRows(lake, out)).map(pick);
      const timelines = new TimelineCache(bounds);
      const getVersions = jest.spyOn(lake.state, 'getVersions');

      // Act: twice, the second time with the cache holding what the first left.
      const first = await enrichSlice({ ...lake, timelines }, sliceRef(plan.batch_id, 0));
      const firstRows = (await stagedRows(lake, out)).map(pick);
      const readsOfFirst = getVersions.mock.calls.length;
      const second = await enrichSlice({ ...lake, timelines }, sliceRef(plan.batch_id, 0));

      // Assess
      expect(uncached).toEqual({ slice: 0, lessons: 900, enriched: 225, no_account: 300, no_subscription: 375 });
      expect(first).toEqual(uncached);
      expect(firstRows).toEqual(expected);
      expect(second).toEqual(uncached);
      expect((await stagedRows(lake, out)).map(pick)).toEqual(expected);
      expect(readsOfFirst).toBe(1);
      expect(getVersions.mock.calls.length).toBe(readsAgain ? 2 : 1);
      expect(timelines.hits).toBeGreaterThan(0);
    });

    it('reads the state store again for another batch', async () => {
      // Prepare: batch 1 caches u1's account (DE); batch 2 brings a later version (FR) and a lesson after it.
      const timelines = new TimelineCache();
      const deps = { ...lake, timelines };
      const early = lessonEvent('u1', 'de', T0 + 10);
      await putRaw(lake, rawKey(10, 'a'), [accountEvent('u1', T0, { country: 'DE' }), early]);
      const plan1 = await planOn(deps);
      await validateAll(deps, plan1);
      await enrichAll(deps, plan1);
      await runOk(lake); // commits batch 1
      const late = lessonEvent('u1', 'de', T0 + 30);
      await putRaw(lake, rawKey(11, 'b'), [accountEvent('u1', T0 + 20, { country: 'FR' }), late]);
      const plan2 = await planOn(deps);
      await validateAll(deps, plan2);

      // Act
      await enrichAll(deps, plan2);

      // Assess
      expect(plan2.batch_id).not.toBe(plan1.batch_id);
      const rows = [];
      for (const slice of plan2.slices) rows.push(...(await stagedRows(lake, Layout.stagedEnriched(plan2.batch_id, slice).key(0))));
      expect(rows.filter((r) => r.event_uuid === late.event_uuid).map(pick)).toEqual([[late.event_uuid, 'FR', null, null, 'no_subscription']]);
    });
  });
});
