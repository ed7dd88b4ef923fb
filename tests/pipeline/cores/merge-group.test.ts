import { Layout } from '../../../src/ports/layout';
import { mergeGroup } from '../../../src/pipeline/merge-group';
import { sqlPathLiteral } from '../../../src/sql/render';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { dedupedBatch, keysUnder } from '../../helpers/stages';

describe('mergeGroup', () => {
  let lake: TestLake;
  afterEach(() => lake.cleanup());

  async function pendingRows(batchId: string): Promise<{ event_uuid: string; event_date: string }[]> {
    const glob = `${lake.objects.uri(Layout.curatedPending(batchId))}event_type=*/event_date=*/*.parquet`;
    return lake.sql.query({
      name: 'pending_rows',
      text: `SELECT event_uuid, CAST(event_date AS VARCHAR) AS event_date FROM read_parquet(${sqlPathLiteral(glob)}, hive_partitioning = true) ORDER BY event_uuid`,
    });
  }

  it("writes the group's new rows, once each, to the batch's pending folder by partition", async () => {
    // Prepare
    lake = await makeTestLake();
    const e = otherEvent(T0);
    const next = otherEvent(T0 + 86_400);
    await putRaw(lake, rawKey(10, 'a'), [e, e, next]);
    const { plan, dedup } = await dedupedBatch(lake);

    // Act
    await mergeGroup(lake, plan.batch_id, dedup.groups[0]!);

    // Assess
    expect(await keysUnder(lake, Layout.curatedPending(plan.batch_id))).toEqual([
      `${Layout.curatedPending(plan.batch_id)}event_type=app/event_date=2024-04-07/part-${plan.batch_id}-g0-0.parquet`,
      `${Layout.curatedPending(plan.batch_id)}event_type=app/event_date=2024-04-08/part-${plan.batch_id}-g0-0.parquet`,
    ]);
    expect(await pendingRows(plan.batch_id)).toEqual([{ event_uuid: e.event_uuid, event_date: '2024-04-07' }, { event_uuid: next.event_uuid, event_date: '2024-04-08' }].sort((a, b) => (a.event_uuid < b.event_uuid ? -1 : 1)));
    expect(await keysUnder(lake, Layout.curatedEvents)).toEqual([]);
    expect(lake.progressLines).toContain('merged group 0');
  });

  it('writes only its own group when a batch has several', async () => {
    // Prepare
    lake = await makeTestLake({ config: { maxPartitionsPerMerge: 1 } });
    const second = otherEvent(T0 + 86_400);
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), second]);
    const { plan, dedup } = await dedupedBatch(lake);

    // Act
    await mergeGroup(lake, plan.batch_id, dedup.groups[1]!);

    // Assess
    expect(await pendingRows(plan.batch_id)).toEqual([{ event_uuid: second.event_uuid, event_date: '2024-04-08' }]);
  });

  it('rewrites the same files when retried', async () => {
    // Prepare
    lake = await makeTestLake();
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const { plan, dedup } = await dedupedBatch(lake);
    await mergeGroup(lake, plan.batch_id, dedup.groups[0]!);
    const keys = await keysUnder(lake, Layout.curatedPending(plan.batch_id));

    // Act
    await mergeGroup(lake, plan.batch_id, dedup.groups[0]!);

    // Assess
    expect(await keysUnder(lake, Layout.curatedPending(plan.batch_id))).toEqual(keys);
    expect(await pendingRows(plan.batch_id)).toHaveLength(1);
  });

  it('refuses a negative group number', async () => {
    // Prepare
    lake = await makeTestLake();
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const { plan, dedup } = await dedupedBatch(lake);

    // Act / Assess
    await expect(mergeGroup(lake, plan.batch_id, { ...dedup.groups[0]!, group: -1 })).rejects.toThrow('merge group must be a non-negative integer: -1');
  });
});
