import { EventLakeError } from '../../src/errors';
import { Layout } from '../../src/ports/layout';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, subscriptionEvent, T0, type TestLake, rawKey } from '../helpers/lake';
import { backfillOk, curatedFingerprint, curatedRows, expectBalanced, runOk, runScheduled } from '../helpers/run';


// Built once, so every lake seeded in a test gets byte-identical raw objects.
const OBJECT_A = [
  accountEvent('u1', T0 - 3600, { country: 'DE' }),
  subscriptionEvent('u1', 'es', T0 - 3000, { subscription_type: 'monthly', subscription_status: 'active' }),
  otherEvent(T0 - 3500, 'payment:order:completed'),
];
const OBJECT_B = [lessonEvent('u1', 'es', T0 + 5), lessonEvent('u2', 'de', T0 + 6), '{"broken":', ''];

async function seed(lake: TestLake): Promise<void> {
  await putRaw(lake, rawKey(9, 'a'), OBJECT_A);
  await putRaw(lake, rawKey(10, 'b'), OBJECT_B);
}

describe('exactly once per object', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('processes a late object under an older hour prefix exactly once', async () => {
    await seed(lake);
    const first = await runOk(lake);
    const late = lessonEvent('u1', 'es', T0 - 100);
    await putRaw(lake, rawKey(8, 'late'), [late]);

    const second = await runOk(lake);
    const third = await runOk(lake);

    expect(first.objects_read).toBe(2);
    expect(second).toMatchObject({ status: 'committed', objects_read: 1, inserted: 1 });
    expect(third.status).toBe('nothing_to_do');
    const rows = await curatedRows(lake);
    expect(rows.filter((r) => r.event_uuid === late.event_uuid)).toHaveLength(1);
  });

  it('running twice and backfilling leaves the curated table byte-for-byte the same', async () => {
    await seed(lake);
    const first = await runOk(lake);
    expectBalanced(first);
    const before = await curatedFingerprint(lake);

    const again = await runOk(lake);
    const backfill = await backfillOk(lake, '2024-04-07', '2024-04-07');
    const backfillAgain = await backfillOk(lake, '2024-04-07', '2024-04-07');

    expect(again.status).toBe('nothing_to_do');
    expect(backfill).toMatchObject({ status: 'committed', inserted: 0, duplicates_existing: first.inserted });
    expectBalanced(backfill);
    expect(backfillAgain).toMatchObject({ inserted: 0 });
    expect(before.length).toBeGreaterThan(0);
    expect(await curatedFingerprint(lake)).toEqual(before);
  });

  it('a backfill on a fresh lake gives the same rows as the scheduled run (batch bookkeeping aside)', async () => {
    await seed(lake);
    await runOk(lake);
    const scheduled = await curatedRows(lake);
    const other = await makeTestLake();
    try {
      await seed(other);
      await backfillOk(other, '2024-04-07', '2024-04-07');
      const strip = (rows: Record<string, unknown>[]) => rows.map(({ batch_id: _b, ...rest }) => rest);
      expect(strip(await curatedRows(other))).toEqual(strip(scheduled));
    } finally {
      await other.cleanup();
    }
  });

  it.each(['EnrichSlice', 'DedupBatch', 'MergeGroup', 'VerifyBatch', 'CommitBatch'])(
    'a run killed at %s, then run again, yields the same table as a run with no fault and moves the checkpoint once',
    async (stateName) => {
      await seed(lake);
      const clean = await makeTestLake();
      try {
        await seed(clean);
        await runOk(clean);
        const expected = await curatedRows(clean);

        // Kill: the state fails for good before doing anything (after the states before it committed their effects).
        const killed = await runScheduled(lake, {
          handlerOverrides: {
            [stateName]: () => Promise.reject(new EventLakeError('Test.Killed', `killed at ${stateName}`)),
          },
        });
        const afterKill = await lake.state.getCheckpoint('microbatch');
        const rerun = await runOk(lake);

        expect(killed).toMatchObject({ status: 'FAILED', error: 'Test.Killed' });
        expect(afterKill.lastBatchId).toBeUndefined();
        expect(rerun.status).toBe('committed');
        expectBalanced(rerun);
        expect(await curatedRows(lake)).toEqual(expected);
        expect((await lake.state.getCheckpoint('microbatch')).lastBatchId).toBe(rerun.batch_id);
        expect((await runOk(lake)).status).toBe('nothing_to_do');
      } finally {
        await clean.cleanup();
      }
    },
  );

  it('a run killed after publishing but before the checkpoint moved resumes to the same table and summary', async () => {
    await seed(lake);
    const clean = await makeTestLake();
    try {
      await seed(clean);
      const expectedSummary = await runOk(clean);
      const publishThenDie = async (event: unknown) => {
        const batchId = (event as { batch: { batch_id: string } }).batch.batch_id;
        const pending = Layout.curatedPending(batchId);
        for await (const o of lake.objects.list(pending)) {
          await lake.objects.move(o.key, Layout.curatedEvents + o.key.slice(pending.length));
          published++;
        }
        throw new EventLakeError('Test.Killed', 'killed between publish and checkpoint');
      };
      let published = 0;
      const killed = await runScheduled(lake, { handlerOverrides: { CommitBatch: publishThenDie } });
      expect(killed.status).toBe('FAILED');
      expect(published).toBeGreaterThan(0);
      expect((await lake.state.getCheckpoint('microbatch')).pending).toBeDefined();

      const rerun = await runOk(lake);

      expect(rerun).toMatchObject({ resumed: true, inserted: expectedSummary.inserted, duplicates_existing: 0 });
      expectBalanced(rerun);
      expect(await curatedRows(lake)).toEqual(await curatedRows(clean));
    } finally {
      await clean.cleanup();
    }
  });
});
