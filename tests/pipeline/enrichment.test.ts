import { queryLake } from '../../src/cli/commands/query';
import { accountEvent, lessonEvent, makeTestLake, putRaw, subscriptionEvent, T0, type TestLake, rawKey } from '../helpers/lake';
import { runOk } from '../helpers/run';


async function lessonRow(lake: TestLake, uuid: string) {
  const [row] = await queryLake(
    lake,
    `SELECT country, subscription_type, subscription_status, enrichment_status FROM events WHERE event_uuid = '${uuid}'`,
  );
  return row;
}

describe('point-in-time enrichment of lessons', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('gives each of two lessons the subscription as it was at its own time', async () => {
    const before = lessonEvent('u1', 'es', T0 + 100);
    const after = lessonEvent('u1', 'es', T0 + 300);
    await putRaw(lake, rawKey(10, 'a'), [
      accountEvent('u1', T0, { country: 'DE' }),
      subscriptionEvent('u1', 'es', T0 + 50, { subscription_type: 'trial', subscription_status: 'active' }),
      subscriptionEvent('u1', 'es', T0 + 200, { subscription_type: 'yearly' }, 'subscription:upgraded'),
      before,
      after,
    ]);

    await runOk(lake);

    expect(await lessonRow(lake, before.event_uuid)).toEqual({ country: 'DE', subscription_type: 'trial', subscription_status: 'active', enrichment_status: 'enriched' });
    // The partial update changed the type and kept the earlier status.
    expect(await lessonRow(lake, after.event_uuid)).toEqual({ country: 'DE', subscription_type: 'yearly', subscription_status: 'active', enrichment_status: 'enriched' });
  });

  it('gives every lesson of a part its own user\'s state when the part holds more lessons than one state read takes', async () => {
    // 9,000 lessons in one lessons part: enrichment reads their timelines 8,192 lessons at a time.
    const countries = ['DE', 'FR', 'ES', 'IT', 'SE'];
    const lines: object[] = [];
    const expected = new Map<string, string>();
    for (let i = 0; i < 9000; i++) {
      const country = countries[(i * 7) % countries.length] as string;
      const lesson = lessonEvent(`u${i}`, 'es', T0 + 10 + (i % 50));
      lines.push(accountEvent(`u${i}`, T0, { country }), lesson);
      expected.set(lesson.event_uuid, country);
    }
    await putRaw(lake, rawKey(10, 'a'), lines);

    const summary = await runOk(lake);

    expect(summary.no_subscription).toBe(9000);
    const rows = await queryLake(lake, "SELECT event_uuid, country FROM events WHERE event_type = 'lesson'");
    expect(new Map(rows.map((row) => [row.event_uuid as string, row.country as string]))).toEqual(expected);
  });

  it('marks a lesson before any subscription as no_subscription', async () => {
    const lesson = lessonEvent('u1', 'es', T0 + 10);
    await putRaw(lake, rawKey(10, 'a'), [
      accountEvent('u1', T0, { country: 'FR' }),
      lesson,
      subscriptionEvent('u1', 'es', T0 + 20, { subscription_type: 'monthly', subscription_status: 'active' }),
    ]);

    await runOk(lake);

    expect(await lessonRow(lake, lesson.event_uuid)).toEqual({ country: 'FR', subscription_type: null, subscription_status: null, enrichment_status: 'no_subscription' });
  });

  it('marks a lesson of an unknown user as no_account and still loads it', async () => {
    const lesson = lessonEvent('nobody', 'es', T0);
    await putRaw(lake, rawKey(10, 'a'), [lesson]);

    const s = await runOk(lake);

    expect(s.no_account).toBe(1);
    expect(await lessonRow(lake, lesson.event_uuid)).toMatchObject({ enrichment_status: 'no_account', country: null });
  });

  it('uses a subscription that arrives in the same batch after the lesson line, by event time', async () => {
    const lesson = lessonEvent('u1', 'de', T0 + 100);
    await putRaw(lake, rawKey(10, 'a'), [lesson]);
    await putRaw(lake, rawKey(10, 'b'), [
      accountEvent('u1', T0, { country: 'AT' }),
      subscriptionEvent('u1', 'de', T0 + 50, { subscription_type: 'quarterly', subscription_status: 'active' }),
    ]);

    await runOk(lake);

    expect(await lessonRow(lake, lesson.event_uuid)).toMatchObject({ subscription_type: 'quarterly', country: 'AT', enrichment_status: 'enriched' });
  });

  it('uses state from an earlier batch, and an account change applies only to later lessons', async () => {
    await putRaw(lake, rawKey(10, 'a'), [
      accountEvent('u1', T0, { country: 'DE' }),
      subscriptionEvent('u1', 'it', T0 + 1, { subscription_type: 'monthly', subscription_status: 'active' }),
    ]);
    await runOk(lake);
    const early = lessonEvent('u1', 'it', T0 + 100);
    const late = lessonEvent('u1', 'it', T0 + 300);
    await putRaw(lake, rawKey(11, 'b'), [accountEvent('u1', T0 + 200, { country: 'CH' }, 'account:updated'), early, late]);

    await runOk(lake);

    expect(await lessonRow(lake, early.event_uuid)).toMatchObject({ country: 'DE', subscription_type: 'monthly' });
    expect(await lessonRow(lake, late.event_uuid)).toMatchObject({ country: 'CH', subscription_type: 'monthly' });
  });

  it('keeps subscriptions per language apart', async () => {
    const lesson = lessonEvent('u1', 'fr', T0 + 100);
    await putRaw(lake, rawKey(10, 'a'), [
      accountEvent('u1', T0, { country: 'DE' }),
      subscriptionEvent('u1', 'es', T0 + 1, { subscription_type: 'monthly', subscription_status: 'active' }),
      lesson,
    ]);

    await runOk(lake);

    expect(await lessonRow(lake, lesson.event_uuid)).toMatchObject({ enrichment_status: 'no_subscription' });
  });

  it('leaves non-lesson events not_applicable', async () => {
    const account = accountEvent('u1', T0, { country: 'DE' });
    await putRaw(lake, rawKey(10, 'a'), [account]);

    await runOk(lake);

    expect(await lessonRow(lake, account.event_uuid)).toMatchObject({ enrichment_status: 'not_applicable', country: null });
  });
});
