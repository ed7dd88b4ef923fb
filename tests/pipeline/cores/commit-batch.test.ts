import { CheckpointConflictError } from '../../../src/errors';
import { Layout } from '../../../src/ports/layout';
import type { StateStore } from '../../../src/ports/state-store';
import { commitBatch, type CommitInput } from '../../../src/pipeline/commit-batch';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { keysUnder, verifiedBatch, type VerifiedBatch } from '../../helpers/stages';

function commitInput({ plan, summary }: VerifiedBatch): CommitInput {
  return { batchId: plan.batch_id, mode: plan.mode, checkpointVersion: plan.checkpoint_version, summary };
}

describe('commitBatch', () => {
  let lake: TestLake;
  let batch: VerifiedBatch;
  let keys: string[];
  beforeEach(async () => {
    lake = await makeTestLake();
    keys = [await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]), await putRaw(lake, rawKey(10, 'b'), [otherEvent(T0 + 86_400)])];
    batch = await verifiedBatch(lake);
  });
  afterEach(() => lake.cleanup());

  it('publishes the pending files, writes the marker and the run summary, and advances the checkpoint', async () => {
    // Prepare
    const id = batch.plan.batch_id;
    const pending = await keysUnder(lake, Layout.curatedPending(id));

    // Act
    const summary = await commitBatch(lake, commitInput(batch));

    // Assess
    expect(summary).toEqual({ ...batch.summary, committed_at: '2024-04-08T12:00:00.000Z' });
    expect(await keysUnder(lake, Layout.curatedPending(id))).toEqual([]);
    expect(await keysUnder(lake, Layout.curatedEvents)).toEqual(pending.map((k) => Layout.curatedEvents + k.slice(Layout.curatedPending(id).length)));
    expect(JSON.parse((await lake.objects.get(Layout.committedMarker(id))).toString('utf8'))).toEqual({
      batch_id: id,
      mode: 'scheduled',
      committed_at: summary.committed_at,
      lines_read: 2,
      inserted: 2,
      duplicates_in_batch: 0,
      duplicates_existing: 0,
      quarantined: 0,
      quarantined_by_reason: {},
      already_quarantined: 0,
      blank_lines: 0,
    });
    expect(JSON.parse((await lake.objects.get(Layout.runSummary(id))).toString('utf8'))).toEqual(summary);
    expect(await lake.state.getCheckpoint('microbatch')).toEqual({ version: 2, lastBatchId: id, committedAt: summary.committed_at });
    expect(await lake.state.filterProcessed(keys)).toEqual(new Set(keys));
    expect(lake.progressLines).toContain(`committed batch ${id}: 2 files published, checkpoint advanced`);
  });

  it('writes the committed marker before it moves the checkpoint', async () => {
    // Prepare
    const seen: boolean[] = [];
    const state: StateStore = Object.create(lake.state) as StateStore;
    state.putCheckpoint = async (write) => {
      seen.push(await lake.objects.exists(Layout.committedMarker(batch.plan.batch_id)));
      return lake.state.putCheckpoint(write);
    };

    // Act
    await commitBatch({ ...lake, state }, commitInput(batch));

    // Assess
    expect(seen).toEqual([true]);
  });

  it('fails with CheckpointConflictError when another run moved the checkpoint, leaving the batch pending', async () => {
    // Prepare: another run committed first (compare-and-set lost)
    const current = await lake.state.getCheckpoint('microbatch');
    await lake.state.putCheckpoint({ name: 'microbatch', expectedVersion: current.version, lastBatchId: 'other' });

    // Act
    const committing = commitBatch(lake, commitInput(batch));

    // Assess
    await expect(committing).rejects.toThrow(CheckpointConflictError);
    await expect(committing).rejects.toThrow(`checkpoint "microbatch" is at version 2, expected 1: another run committed first`);
    expect(await lake.state.filterProcessed(keys)).toEqual(new Set());
    expect(await lake.objects.exists(Layout.runSummary(batch.plan.batch_id))).toBe(false);
  });

  it('backfill: compares against the current backfill checkpoint and leaves the scheduled one alone', async () => {
    // Prepare
    await lake.cleanup();
    lake = await makeTestLake();
    keys = [await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)])];
    batch = await verifiedBatch(lake, { mode: 'backfill', from: '2024-04-07', to: '2024-04-07' });

    // Act
    await commitBatch(lake, commitInput(batch));

    // Assess
    expect(await lake.state.getCheckpoint('microbatch-backfill')).toMatchObject({ version: 1, lastBatchId: batch.plan.batch_id });
    expect((await lake.state.getCheckpoint('microbatch')).version).toBe(0);
    expect(await lake.state.filterProcessed(keys)).toEqual(new Set(keys));
  });
});
