import type { DedupResult } from './dedup-batch';
import type { BatchMode } from '../ports/orchestrator';
import type { BatchTotals } from './summarize-slices';
import { sortedReasons } from './validate-slice';

/** What `run --json` / `backfill --json` print (docs/contract.md §10), saved as runs/<batch_id>.json. */
export interface RunSummary {
  status: 'committed' | 'nothing_to_do' | 'skipped' | 'failed';
  batch_id: string;
  mode: BatchMode;
  resumed: boolean;
  objects_read: number;
  lines_read: number;
  blank_lines: number;
  inserted: number;
  duplicates_in_batch: number;
  duplicates_existing: number;
  quarantined: number;
  quarantined_by_reason: Record<string, number>;
  /** Bad lines a committed batch had already quarantined (a backfill reading them again): not recorded twice. */
  already_quarantined: number;
  /** Rows of users `eventlake forget` erased: read, never merged (docs/operations.md#forgetting-a-user). */
  erased: number;
  enriched: number;
  no_account: number;
  no_subscription: number;
  partitions: number;
  merge_groups: number;
  /** Raw objects left for a later batch by the batch caps (run again, or let the schedule, to drain them). */
  backlog_objects: number;
  /** Backfill: where the next batch of the range starts (`--after`), null when the range is done. */
  next_after: string | null;
  committed_at: string | null;
}

export function emptySummary(status: RunSummary['status'], mode: BatchMode): RunSummary {
  return {
    status,
    batch_id: '',
    mode,
    resumed: false,
    objects_read: 0,
    lines_read: 0,
    blank_lines: 0,
    inserted: 0,
    duplicates_in_batch: 0,
    duplicates_existing: 0,
    quarantined: 0,
    quarantined_by_reason: {},
    already_quarantined: 0,
    erased: 0,
    enriched: 0,
    no_account: 0,
    no_subscription: 0,
    partitions: 0,
    merge_groups: 0,
    backlog_objects: 0,
    next_after: null,
    committed_at: null,
  };
}

/** The batch totals and the dedup counts. Conflicts are quarantined lines (reason duplicate_conflict). */
export function summarize(args: {
  batchId: string;
  mode: BatchMode;
  resumed: boolean;
  backlogObjects: number;
  nextAfter: string | null;
  totals: BatchTotals;
  dedup: DedupResult;
}): RunSummary {
  const byReason: Record<string, number> = { ...args.totals.quarantined_by_reason };
  const newConflicts = args.dedup.conflicts - args.dedup.already_quarantined;
  if (newConflicts > 0) byReason.duplicate_conflict = (byReason.duplicate_conflict ?? 0) + newConflicts;
  return {
    status: 'committed',
    batch_id: args.batchId,
    mode: args.mode,
    resumed: args.resumed,
    objects_read: args.totals.objects,
    lines_read: args.totals.lines_read,
    blank_lines: args.totals.blank_lines,
    inserted: args.dedup.inserts + args.dedup.already_inserted,
    duplicates_in_batch: args.dedup.duplicates_in_batch,
    duplicates_existing: args.dedup.duplicates_existing,
    quarantined: args.totals.quarantined + newConflicts,
    quarantined_by_reason: sortedReasons(byReason),
    already_quarantined: args.totals.already_quarantined + args.dedup.already_quarantined,
    erased: args.dedup.erased,
    enriched: args.dedup.enriched,
    no_account: args.dedup.no_account,
    no_subscription: args.dedup.no_subscription,
    partitions: args.dedup.partitions,
    merge_groups: args.dedup.groups.length,
    backlog_objects: args.backlogObjects,
    next_after: args.nextAfter,
    committed_at: null,
  };
}
