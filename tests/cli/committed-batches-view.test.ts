import { queryLake } from '../../src/cli/commands/query';
import { Layout } from '../../src/ports/layout';
import { emptySummary, type RunSummary } from '../../src/pipeline/run-summary';
import { committedMarker } from '../../src/pipeline/commit-batch';
import { makeTestLake, type TestLake } from '../helpers/lake';

/** The local `committed_batches` view: one row per committed batch with its counts, whatever age the lake. */
describe('committed_batches (local view)', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  const summaryOf = (batchId: string, inserted: number): RunSummary => ({
    ...emptySummary('committed', 'scheduled'),
    batch_id: batchId,
    lines_read: inserted + 2,
    inserted,
    duplicates_in_batch: 1,
    quarantined: 1,
    quarantined_by_reason: { not_json: 1 },
    committed_at: '2024-04-08T12:00:00.000Z',
  });
  const put = (key: string, value: object, pretty = false) => lake.objects.put(key, `${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`);

  it('reads the counts from the marker, from the run summary when the marker predates counts, and from the run summary alone before markers', async () => {
    // b1: today's marker (with counts) and its run summary; b2: a marker without counts and its summary; b3: a summary only.
    await put(Layout.committedMarker('b1'), committedMarker({ batchId: 'b1', mode: 'scheduled', summary: summaryOf('b1', 10) }, '2024-04-08T12:00:00.000Z'));
    await put(Layout.runSummary('b1'), summaryOf('b1', 10), true);
    await put(Layout.committedMarker('b2'), { batch_id: 'b2', mode: 'scheduled', committed_at: '2024-04-08T12:00:00.000Z' });
    await put(Layout.runSummary('b2'), summaryOf('b2', 20), true);
    await put(Layout.runSummary('b3'), summaryOf('b3', 30), true);

    const rows = await queryLake(lake, "SELECT batch_id, inserted, lines_read, duplicates_in_batch, quarantined_by_reason['not_json'] AS not_json FROM committed_batches ORDER BY batch_id");

    expect(rows).toEqual([
      { batch_id: 'b1', inserted: 10, lines_read: 12, duplicates_in_batch: 1, not_json: 1 },
      { batch_id: 'b2', inserted: 20, lines_read: 22, duplicates_in_batch: 1, not_json: 1 },
      { batch_id: 'b3', inserted: 30, lines_read: 32, duplicates_in_batch: 1, not_json: 1 },
    ]);
  });

  it('is empty, with its columns, before any batch committed', async () => {
    const rows = await queryLake(lake, 'SELECT count(*) AS n, count(quarantined_by_reason) AS m FROM committed_batches');

    expect(rows).toEqual([{ n: 0, m: 0 }]);
  });
});
