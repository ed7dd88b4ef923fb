import { ObjectNotFoundError } from '../../../src/errors';
import { Layout } from '../../../src/ports/layout';
import { enrichSlice } from '../../../src/pipeline/enrich-slice';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, subscriptionEvent, T0, type TestLake } from '../../helpers/lake';
import { stagedRows, planOn, sliceRef, validateAll } from '../../helpers/stages';

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
});
