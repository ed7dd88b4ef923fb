import { QUARANTINE_REASONS } from '../../../src/contract/reasons';
import type { DedupResult } from '../../../src/pipeline/dedup-batch';
import { emptySummary, summarize } from '../../../src/pipeline/run-summary';
import type { BatchTotals } from '../../../src/pipeline/summarize-slices';

const totals: BatchTotals = {
  slices: 2, objects: 3, lines_read: 20, blank_lines: 1, quarantined: 2,
  quarantined_by_reason: { not_json: 1, invalid_uuid: 1 }, already_quarantined: 1, staged_rows: 16,
  date_min: '2024-04-06', date_max: '2024-04-07', horizon_from: '2024-03-30', horizon_to: '2024-04-14',
};

const dedup: DedupResult = {
  staged_rows: 16, inserts: 10, already_inserted: 1, duplicates_in_batch: 2, duplicates_existing: 1, conflicts: 2, erased: 0,
  already_quarantined: 1, enriched: 3, no_account: 1, no_subscription: 0, partitions: 4,
  groups: [{ group: 0, type_min: 'a', type_max: 'z', date_min: '2024-04-06', date_max: '2024-04-07' }],
};

describe('summarize', () => {
  it('adds the batch totals and the dedup counts, counting only the new conflicts as quarantined', () => {
    // Act
    const s = summarize({ batchId: 'b1', mode: 'backfill', resumed: true, backlogObjects: 5, nextAfter: 'raw/x', totals, dedup });

    // Assess
    expect(s).toEqual({
      status: 'committed', batch_id: 'b1', mode: 'backfill', resumed: true, objects_read: 3, lines_read: 20, blank_lines: 1,
      inserted: 11, duplicates_in_batch: 2, duplicates_existing: 1, quarantined: 3,
      quarantined_by_reason: { not_json: 1, invalid_uuid: 1, duplicate_conflict: 1 },
      already_quarantined: 2, erased: 0, enriched: 3, no_account: 1, no_subscription: 0, partitions: 4, merge_groups: 1,
      backlog_objects: 5, next_after: 'raw/x', committed_at: null,
    });
    expect(s.inserted + s.duplicates_in_batch + s.duplicates_existing + s.quarantined + s.already_quarantined + s.blank_lines).toBe(s.lines_read);
  });

  it('adds no duplicate_conflict reason when every conflict was quarantined before', () => {
    // Act
    const s = summarize({ batchId: 'b1', mode: 'scheduled', resumed: false, backlogObjects: 0, nextAfter: null, totals, dedup: { ...dedup, conflicts: 1 } });

    // Assess
    expect(s.quarantined).toBe(2);
    expect(s.quarantined_by_reason).not.toHaveProperty('duplicate_conflict');
  });

  it('lists the reasons in the enum order', () => {
    // Act
    const s = summarize({ batchId: 'b1', mode: 'scheduled', resumed: false, backlogObjects: 0, nextAfter: null, totals, dedup });

    // Assess
    expect(Object.keys(s.quarantined_by_reason)).toEqual(QUARANTINE_REASONS.filter((r) => r in s.quarantined_by_reason));
  });
});

describe('emptySummary', () => {
  it('is all zeros for its status and mode', () => {
    // Act
    const s = emptySummary('nothing_to_do', 'scheduled');

    // Assess
    expect(s).toMatchObject({ status: 'nothing_to_do', mode: 'scheduled', batch_id: '', lines_read: 0, inserted: 0, quarantined_by_reason: {}, next_after: null, committed_at: null });
  });
});
