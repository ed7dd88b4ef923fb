import { ConservationError } from '../../../src/errors';
import { Layout } from '../../../src/ports/layout';
import { verifyBatch, type VerifyInput } from '../../../src/pipeline/verify-batch';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { mergedBatch, type DedupedBatch } from '../../helpers/stages';

function verifyInput({ plan, totals, dedup }: DedupedBatch): VerifyInput {
  return { batchId: plan.batch_id, mode: plan.mode, resumed: plan.resumed, backlogObjects: plan.backlog_objects, nextAfter: plan.next_after, totals, dedup };
}

describe('verifyBatch', () => {
  let lake: TestLake;
  let batch: DedupedBatch;
  beforeEach(async () => {
    lake = await makeTestLake();
    const e = otherEvent(T0);
    await putRaw(lake, rawKey(10, 'a'), [e, e, { ...e, extra: 1 }, '{bad', '', otherEvent(T0 + 1)]);
    batch = await mergedBatch(lake);
  });
  afterEach(() => lake.cleanup());

  it('returns the run summary when what was written balances', async () => {
    // Act
    const summary = await verifyBatch(lake, verifyInput(batch));

    // Assess
    expect(summary).toMatchObject({
      status: 'committed', batch_id: batch.plan.batch_id, lines_read: 6, inserted: 2, duplicates_in_batch: 1, quarantined: 2,
      quarantined_by_reason: { not_json: 1, duplicate_conflict: 1 }, blank_lines: 1, committed_at: null,
    });
    expect(lake.progressLines).toContain('verified: 6 lines accounted for');
  });

  it('fails with a ConservationError naming the mismatch when the quarantine holds one record too many', async () => {
    // Prepare
    await lake.objects.put(`${Layout.quarantine(batch.plan.batch_id)}extra.ndjson`, '{"reason":"not_json"}\n');

    // Act
    const verifying = verifyBatch(lake, verifyInput(batch));

    // Assess
    await expect(verifying).rejects.toThrow(ConservationError);
    await expect(verifying).rejects.toThrow(
      `batch ${batch.plan.batch_id} does not balance; nothing committed: the quarantine holds 3 records of this batch, expected 2`,
    );
  });

  it('names a table missing a row of the batch', async () => {
    // Prepare
    for await (const info of lake.objects.list(Layout.curatedPending(batch.plan.batch_id))) await lake.objects.delete(info.key);

    // Act / Assess
    await expect(verifyBatch(lake, verifyInput(batch))).rejects.toThrow('the table holds 0 rows of this batch, expected 2');
  });

  it('names counts that disagree: staged rows read back, classes, and the conservation law', async () => {
    // Prepare
    const input = verifyInput(batch);
    const skewed = { ...input, dedup: { ...input.dedup, staged_rows: input.dedup.staged_rows + 1 }, totals: { ...input.totals, lines_read: input.totals.lines_read + 1 } };

    // Act
    const verifying = verifyBatch(lake, skewed);

    // Assess
    await expect(verifying).rejects.toThrow(`validation staged 4 rows but the SQL engine read 5; dedup classified 4 of 5 staged rows`);
    await expect(verifying).rejects.toThrow('lines_read 7 != inserted 2 + duplicates_in_batch 1 + duplicates_existing 0 + quarantined 2 + already_quarantined 0 + blank_lines 1 + erased 0 (= 6)');
  });
});
