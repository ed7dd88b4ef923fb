import { Layout } from '../../../src/ports/layout';
import { commitBatch } from '../../../src/pipeline/commit-batch';
import { dedupBatch } from '../../../src/pipeline/dedup-batch';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { classifyOn, dedupedBatch, ndjson, stageBatch, verifiedBatch } from '../../helpers/stages';

describe('dedupBatch', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('reads the class counts and merge groups, and quarantines a conflict in the batch', async () => {
    // Prepare
    const e = otherEvent(T0);
    const key = await putRaw(lake, rawKey(10, 'a'), [e, e, { ...e, extra: 'changed' }, otherEvent(T0 + 86_400, 'app:closed')]);
    const staged = await stageBatch(lake);
    await classifyOn(lake, staged);

    // Act
    const dedup = await dedupBatch(lake, staged.plan.batch_id);

    // Assess
    expect(dedup).toEqual({
      staged_rows: 4, inserts: 2, already_inserted: 0, duplicates_in_batch: 1, duplicates_existing: 0, conflicts: 1, erased: 0,
      already_quarantined: 0, enriched: 0, no_account: 0, no_subscription: 0, partitions: 2,
      groups: [{ group: 0, type_min: 'app', type_max: 'app', date_min: '2024-04-07', date_max: '2024-04-08' }],
    });
    const records = await ndjson(lake, Layout.quarantineConflicts(staged.plan.batch_id));
    expect(records).toEqual([expect.objectContaining({ source_key: key, line_no: 3, reason: 'duplicate_conflict', quarantined_at: staged.plan.planned_at })]);
    expect(String(records[0]?.errors)).toContain(`event_uuid ${e.event_uuid} appeared earlier in this batch with different content`);
  });

  it('writes the classified file as zstd at level 1: smaller and faster to write and read back than snappy or none', async () => {
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), otherEvent(T0 + 1)]);
    const staged = await stageBatch(lake);

    await classifyOn(lake, staged);

    const codecs = await lake.sql.query({
      name: 'classified_codecs',
      text: `SELECT DISTINCT compression FROM parquet_metadata('${lake.objects.uri(Layout.classified(staged.plan.batch_id))}')`,
    });
    expect(codecs).toEqual([{ compression: 'ZSTD' }]);
  });

  it('cuts merge groups at max_partitions_per_merge', async () => {
    // Prepare
    await lake.cleanup();
    lake = await makeTestLake({ config: { maxPartitionsPerMerge: 1 } });
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), otherEvent(T0 + 86_400)]);

    // Act
    const { dedup } = await dedupedBatch(lake);

    // Assess
    expect(dedup.partitions).toBe(2);
    expect(dedup.groups.map((g) => [g.group, g.date_min, g.date_max])).toEqual([[0, '2024-04-07', '2024-04-07'], [1, '2024-04-08', '2024-04-08']]);
  });

  it('counts a row an earlier batch stored as duplicates_existing, and a changed one as a conflict with the stored row', async () => {
    // Prepare
    const same = otherEvent(T0);
    const changed = otherEvent(T0);
    await putRaw(lake, rawKey(10, 'a'), [same, changed]);
    const first = await verifiedBatch(lake);
    await commitBatch(lake, { batchId: first.plan.batch_id, mode: 'scheduled', checkpointVersion: first.plan.checkpoint_version, summary: first.summary });
    await putRaw(lake, rawKey(11, 'b'), [same, { ...changed, extra: 1 }]);
    const staged = await stageBatch(lake);
    await classifyOn(lake, staged);

    // Act
    const dedup = await dedupBatch(lake, staged.plan.batch_id);

    // Assess
    expect(dedup).toMatchObject({ staged_rows: 2, inserts: 0, duplicates_existing: 1, conflicts: 1, groups: [] });
    const [record] = await ndjson(lake, Layout.quarantineConflicts(staged.plan.batch_id));
    expect(String(record?.errors)).toContain('is already stored with different content');
  });

  it('removes a conflicts object an earlier attempt left when there are no conflicts now', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const staged = await stageBatch(lake);
    await classifyOn(lake, staged);
    await lake.objects.put(Layout.quarantineConflicts(staged.plan.batch_id), '{"stale":true}\n');

    // Act
    const dedup = await dedupBatch(lake, staged.plan.batch_id);

    // Assess
    expect(dedup.conflicts).toBe(0);
    expect(await lake.objects.exists(Layout.quarantineConflicts(staged.plan.batch_id))).toBe(false);
  });

  it('backfill: counts a conflict of a reprocessed object as already quarantined, writing no record', async () => {
    // Prepare
    const e = otherEvent(T0);
    const key = await putRaw(lake, rawKey(10, 'a'), [e, { ...e, extra: 'changed' }]);
    await lake.state.putCheckpoint({ name: 'microbatch', expectedVersion: 0, processedKeys: [key] });

    // Act
    const { plan, dedup } = await dedupedBatch(lake, { mode: 'backfill', from: '2024-04-07', to: '2024-04-07' });

    // Assess
    expect(dedup).toMatchObject({ conflicts: 1, already_quarantined: 1 });
    expect(await lake.objects.exists(Layout.quarantineConflicts(plan.batch_id))).toBe(false);
  });
});
