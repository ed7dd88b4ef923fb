import { parseCompactionInput, planCompaction, pruneStaging, finishCompaction } from '../../../src/pipeline/compaction';
import { Layout } from '../../../src/ports/layout';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { runOk } from '../../helpers/run';
import { keysUnder } from '../../helpers/stages';

describe('compaction cores (the AWS compaction state machine\'s Lambdas)', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('validates the execution input, naming what to fix', () => {
    expect(parseCompactionInput({})).toEqual({});
    expect(parseCompactionInput({ days: 2, prune_after_days: 3 })).toEqual({ days: 2, prune_after_days: 3 });
    expect(() => parseCompactionInput({ from: '2024-04-07' })).toThrow(/both from and to/);
    expect(() => parseCompactionInput({ from: '2024-04-08', to: '2024-04-07' })).toThrow(/after to/);
    expect(() => parseCompactionInput({ from: '2024-01-01', to: '2024-03-01' })).toThrow(/more than 31 days/);
    expect(() => parseCompactionInput({ mode: 'scheduled' })).toThrow(/invalid compaction input/);
  });

  it('plans the partitions of the days ending yesterday, and only committed batches old enough to prune', async () => {
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0, 'app:opened'), otherEvent(T0 - 86_400, 'page:viewed'), otherEvent(T0 - 3 * 86_400, 'app:opened')]);
    const committed = await runOk(lake);
    // A batch in flight: staging, no committed marker.
    await lake.objects.put(Layout.manifest('0badbadbad'), '{}');

    const plan = await planCompaction(lake, { prune_after_days: 0 });
    // The clock says 2024-04-08T12:00Z: the default 2 days are 04-06 and 04-07.
    expect(plan).toMatchObject({ from: '2024-04-06', to: '2024-04-07', prune: [committed.batch_id], prune_left: 0 });
    expect(plan.partitions).toEqual([
      { event_type: 'page', event_date: '2024-04-06' },
      { event_type: 'app', event_date: '2024-04-07' },
    ]);
    // A batch committed less than prune_after_days ago is kept.
    expect((await planCompaction(lake, { from: '2024-04-04', to: '2024-04-04' })).prune).toEqual([]);
  });

  it("prunes a committed batch's staging and refuses a batch without a committed marker", async () => {
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0, 'app:opened')]);
    const committed = await runOk(lake);
    const id = committed.batch_id;
    expect((await keysUnder(lake, Layout.batch(id))).length).toBeGreaterThan(0);
    await lake.objects.put(Layout.manifest('0badbadbad'), '{}');

    await expect(pruneStaging(lake, ['0badbadbad'])).rejects.toThrow(/0badbadbad has no committed marker/);
    expect(await keysUnder(lake, Layout.batch('0badbadbad'))).toEqual([Layout.manifest('0badbadbad')]);

    const result = await pruneStaging(lake, [id]);
    expect(result.batches_pruned).toBe(1);
    expect(result.objects_deleted).toBeGreaterThan(0);
    expect(await keysUnder(lake, Layout.batch(id))).toEqual([]);
    expect(await keysUnder(lake, Layout.staged(id))).toEqual([]);
    // The curated rows and the marker stay.
    expect(await lake.objects.exists(Layout.committedMarker(id))).toBe(true);
  });

  it('frees the lease and sums up, failed or not', async () => {
    await lake.state.acquireLease({ name: lake.config.pipelineName, owner: 'compaction-1', nowMs: lake.clock.now().getTime(), ttlMs: 60_000 });
    const summary = await finishCompaction(lake, { owner: 'compaction-1', error: { Error: 'States.TaskFailed', Cause: 'x' } });
    expect(summary).toMatchObject({ status: 'failed', error: 'States.TaskFailed: x', partitions: 0 });
    const again = await lake.state.acquireLease({ name: lake.config.pipelineName, owner: 'run-2', nowMs: lake.clock.now().getTime(), ttlMs: 60_000 });
    expect(again.acquired).toBe(true);
  });
});
