import { ObjectNotFoundError } from '../../../src/errors';
import { Layout } from '../../../src/ports/layout';
import { addUp, summarizeSlices } from '../../../src/pipeline/summarize-slices';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { enrichAll, planOn, validateAll } from '../../helpers/stages';

const DAY = 86_400;

describe('summarizeSlices', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake({ config: { sliceMaxBytes: 1, dedupHorizonDays: 3 } });
  });
  afterEach(() => lake.cleanup());

  it('adds up the slice result objects, with the dedup horizon around their event dates', async () => {
    // Prepare: one object per slice
    await putRaw(lake, rawKey(9, 'a'), [otherEvent(T0 - 2 * DAY), '{bad', '']);
    await putRaw(lake, rawKey(10, 'b'), [lessonEvent('u1', 'de', T0), otherEvent(T0), 'null']);
    const plan = await planOn(lake);
    await validateAll(lake, plan);

    // Act
    const totals = await summarizeSlices(lake, plan.batch_id);

    // Assess
    expect(plan.slices).toEqual([0, 1]);
    expect(totals).toEqual({
      slices: 2, objects: 2, lines_read: 6, blank_lines: 1, quarantined: 2,
      quarantined_by_reason: { not_json: 1, not_an_object: 1 }, already_quarantined: 0, staged_rows: 3,
      date_min: '2024-04-05', date_max: '2024-04-07', horizon_from: '2024-04-02', horizon_to: '2024-04-10',
    });
  });

  it('deletes every slice\'s lesson parts once enriched, keeps the enriched ones, and finds none to delete when retried', async () => {
    // Prepare: a lesson in each of two slices
    await putRaw(lake, rawKey(9, 'a'), [lessonEvent('u1', 'de', T0)]);
    await putRaw(lake, rawKey(10, 'b'), [lessonEvent('u2', 'en', T0), otherEvent(T0)]);
    const plan = await planOn(lake);
    await validateAll(lake, plan);
    await enrichAll(lake, plan);
    const keysUnder = async (prefix: string) => {
      const keys: string[] = [];
      for await (const info of lake.objects.list(prefix)) keys.push(info.key);
      return keys;
    };
    const lessons = `staging/batches/${plan.batch_id}/lessons/`;
    expect(await keysUnder(lessons)).toHaveLength(2);

    // Act
    const first = await summarizeSlices(lake, plan.batch_id);
    const retried = await summarizeSlices(lake, plan.batch_id);

    // Assess
    expect(await keysUnder(lessons)).toEqual([]);
    expect(await keysUnder(Layout.staged(plan.batch_id))).toEqual([
      Layout.stagedEnriched(plan.batch_id, 0).key(0), Layout.stagedEnriched(plan.batch_id, 1).key(0),
      Layout.stagedFinal(plan.batch_id, 0).key(0), Layout.stagedFinal(plan.batch_id, 1).key(0),
    ].sort());
    expect(retried).toEqual(first);
    expect(first.staged_rows).toBe(3);
  });

  it('fails rather than undercount when a slice result is missing', async () => {
    // Prepare
    await putRaw(lake, rawKey(9, 'a'), [otherEvent(T0)]);
    await putRaw(lake, rawKey(10, 'b'), [otherEvent(T0)]);
    const plan = await planOn(lake);
    await validateAll(lake, plan);
    await lake.objects.delete(Layout.sliceResult(plan.batch_id, 1));

    // Act
    const summing = summarizeSlices(lake, plan.batch_id);

    // Assess
    await expect(summing).rejects.toThrow(ObjectNotFoundError);
    await expect(summing).rejects.toThrow(Layout.sliceResult(plan.batch_id, 1));
  });
});

describe('addUp', () => {
  it('gives the 1970-01-01 horizon when no slice staged a row', () => {
    // Prepare
    const empty = {
      slice: 0, objects: 1, lines_read: 1, blank_lines: 0, quarantined: 1, quarantined_by_reason: { not_json: 1 },
      already_quarantined: 0, staged_final: 0, staged_lessons: 0, state_versions: 0, date_min: null, date_max: null,
    };

    // Act
    const totals = addUp([empty, { ...empty, slice: 1 }], 7);

    // Assess
    expect(totals).toMatchObject({ slices: 2, quarantined: 2, quarantined_by_reason: { not_json: 2 }, date_min: null, date_max: null, horizon_from: '1970-01-01', horizon_to: '1970-01-01' });
  });
});
