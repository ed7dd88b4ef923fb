import { InvalidInputError } from '../../../src/errors';
import { DEFAULT_CONFIG } from '../../../src/pipeline/config';
import { Layout } from '../../../src/ports/layout';
import { batchIdFor, readManifest } from '../../../src/pipeline/manifest';
import { capBatch, checkpointName, planBatch } from '../../../src/pipeline/plan-batch';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { keysUnder } from '../../helpers/stages';

describe('planBatch', () => {
  let lake: TestLake;
  afterEach(() => lake.cleanup());

  it('freezes every unprocessed raw object into a manifest and marks the batch pending in the checkpoint', async () => {
    // Prepare
    lake = await makeTestLake();
    const a = await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const b = await putRaw(lake, rawKey(11, 'b'), [otherEvent(T0 + 60)]);

    // Act
    const plan = await planBatch(lake, { mode: 'scheduled' });

    // Assess
    expect(plan).toMatchObject({
      batch_id: batchIdFor('scheduled', [a, b]),
      mode: 'scheduled',
      object_count: 2,
      slices: [0],
      checkpoint_version: 1,
      resumed: false,
      planned_at: '2024-04-08T12:00:00.000Z',
      max_partitions_per_merge: 80,
      backlog_objects: 0,
      next_after: null,
    });
    const manifest = await readManifest(lake.objects, Layout.manifest(plan.batch_id));
    expect(manifest.objects.map((o) => o.key)).toEqual([a, b]);
    expect(manifest.slices).toEqual([{ first: 0, end: 2 }]);
    expect(plan.raw_bytes).toBe(manifest.objects.reduce((n, o) => n + o.sizeBytes, 0));
    expect(await lake.state.getCheckpoint('microbatch')).toEqual({
      version: 1,
      pending: { batchId: plan.batch_id, manifestKey: Layout.manifest(plan.batch_id) },
    });
  });

  it('returns an empty plan and writes nothing when there is nothing to do', async () => {
    // Prepare
    lake = await makeTestLake();

    // Act
    const plan = await planBatch(lake, { mode: 'scheduled' });

    // Assess
    expect(plan).toMatchObject({ batch_id: '', object_count: 0, raw_bytes: 0, slices: [], checkpoint_version: 0, resumed: false });
    expect(lake.progressLines).toContain('no new raw objects');
    expect((await lake.state.getCheckpoint('microbatch')).version).toBe(0);
    expect(await keysUnder(lake, 'staging/')).toEqual([]);
  });

  it('leaves objects already in the processed ledger out', async () => {
    // Prepare
    lake = await makeTestLake();
    const done = await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const fresh = await putRaw(lake, rawKey(11, 'b'), [otherEvent(T0)]);
    await lake.state.putCheckpoint({ name: 'microbatch', expectedVersion: 0, processedKeys: [done] });

    // Act
    const plan = await planBatch(lake, { mode: 'scheduled' });

    // Assess
    expect(plan.object_count).toBe(1);
    expect((await readManifest(lake.objects, Layout.manifest(plan.batch_id))).objects.map((o) => o.key)).toEqual([fresh]);
  });

  it('caps a batch at maxBatchObjects, in key order, and counts the rest as backlog', async () => {
    // Prepare
    lake = await makeTestLake({ config: { maxBatchObjects: 2 } });
    for (const name of ['c', 'a', 'b']) await putRaw(lake, rawKey(10, name), [otherEvent(T0)]);

    // Act
    const plan = await planBatch(lake, { mode: 'scheduled' });

    // Assess
    expect(plan).toMatchObject({ object_count: 2, backlog_objects: 1, next_after: null });
    const manifest = await readManifest(lake.objects, Layout.manifest(plan.batch_id));
    expect(manifest.objects.map((o) => o.key)).toEqual([rawKey(10, 'a'), rawKey(10, 'b')]);
    expect(lake.progressLines).toContain('batch capped at 2 objects: 1 left for the next batch');
  });

  it('cuts slices at sliceMaxBytes', async () => {
    // Prepare
    lake = await makeTestLake({ config: { sliceMaxBytes: 1 } });
    for (const name of ['a', 'b', 'c']) await putRaw(lake, rawKey(10, name), [otherEvent(T0)]);

    // Act
    const plan = await planBatch(lake, { mode: 'scheduled' });

    // Assess
    expect(plan.slices).toEqual([0, 1, 2]);
  });

  it('resumes the pending batch instead of planning anew, with the later objects as backlog', async () => {
    // Prepare
    lake = await makeTestLake();
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const first = await planBatch(lake, { mode: 'scheduled' });
    await putRaw(lake, rawKey(11, 'late'), [otherEvent(T0)]);

    // Act
    const again = await planBatch(lake, { mode: 'scheduled' });

    // Assess
    expect(again).toEqual({ ...first, resumed: true, backlog_objects: 1 });
    expect(lake.progressLines.some((l) => l.startsWith(`resuming uncommitted batch ${first.batch_id}`))).toBe(true);
    expect((await lake.state.getCheckpoint('microbatch')).version).toBe(1);
  });

  it('backfill: lists the range by day, continues after the `after` cursor and leaves the scheduled checkpoint alone', async () => {
    // Prepare
    lake = await makeTestLake({ config: { maxBatchObjects: 2 } });
    const keys = [];
    for (const name of ['a', 'b', 'c']) keys.push(await putRaw(lake, rawKey(10, name), [otherEvent(T0)]));
    await putRaw(lake, 'raw/2024/04/09/10/outside-the-range.gz', [otherEvent(T0)]);

    // Act
    const first = await planBatch(lake, { mode: 'backfill', from: '2024-04-06', to: '2024-04-07' });
    const second = await planBatch(lake, { mode: 'backfill', from: '2024-04-06', to: '2024-04-07', after: first.next_after! });

    // Assess
    expect(first).toMatchObject({ mode: 'backfill', object_count: 2, backlog_objects: 1, next_after: keys[1], checkpoint_version: 0 });
    expect(second).toMatchObject({ object_count: 1, backlog_objects: 0, next_after: null });
    const manifest = await readManifest(lake.objects, Layout.manifest(second.batch_id));
    expect(manifest).toMatchObject({ mode: 'backfill', range: { from: '2024-04-06', to: '2024-04-07' } });
    expect(manifest.objects.map((o) => o.key)).toEqual([keys[2]]);
    expect((await lake.state.getCheckpoint('microbatch')).version).toBe(0);
    expect((await lake.state.getCheckpoint('microbatch-backfill')).version).toBe(0);
  });

  it('backfill: marks objects a committed batch already read as reprocessed', async () => {
    // Prepare
    lake = await makeTestLake();
    const done = await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    await lake.state.putCheckpoint({ name: 'microbatch', expectedVersion: 0, processedKeys: [done] });

    // Act
    const plan = await planBatch(lake, { mode: 'backfill', from: '2024-04-07', to: '2024-04-07' });

    // Assess
    const manifest = await readManifest(lake.objects, Layout.manifest(plan.batch_id));
    expect(manifest.objects).toEqual([expect.objectContaining({ key: done, reprocessed: true })]);
  });

  it('backfill: refuses a run input without its range', async () => {
    // Prepare
    lake = await makeTestLake();

    // Act
    const planning = planBatch(lake, { mode: 'backfill' });

    // Assess
    await expect(planning).rejects.toThrow(InvalidInputError);
    await expect(planning).rejects.toThrow('backfill needs from and to (YYYY-MM-DD)');
  });
});

describe('capBatch', () => {
  const config = { maxBatchObjects: 10, maxBatchBytes: 100, sliceMaxBytes: 1000 } as const;
  const info = (key: string, sizeBytes: number) => ({ key, sizeBytes });

  it('stops before the object that would pass the byte cap', () => {
    // Act
    const objects = capBatch([info('a', 60), info('b', 40), info('c', 1)], { ...DEFAULT_CONFIG, ...config });

    // Assess
    expect(objects.map((o) => o.key)).toEqual(['a', 'b']);
  });

  it('still takes an object larger than the byte cap alone, so nothing is ever stuck', () => {
    // Act
    const objects = capBatch([info('huge', 1000), info('b', 1)], { ...DEFAULT_CONFIG, ...config });

    // Assess
    expect(objects.map((o) => o.key)).toEqual(['huge']);
  });
});

describe('checkpointName', () => {
  it('gives backfills a checkpoint of their own', async () => {
    // Prepare
    const lake = await makeTestLake({ config: { pipelineName: 'hourly' } });

    // Act
    const names = [checkpointName(lake, 'scheduled'), checkpointName(lake, 'backfill')];

    // Assess
    expect(names).toEqual(['hourly', 'hourly-backfill']);
    await lake.cleanup();
  });
});
