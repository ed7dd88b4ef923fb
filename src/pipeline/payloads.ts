import { array, boolean, mixed, number, object, string, type InferType } from 'yup';
import { BATCH_MODES } from '../ports/orchestrator';

/**
 * The state payloads the pipeline's tasks return and read back (`$.lease`, `$.batch`, `$.totals`,
 * `$.dedup`): each written once, as the schema the task handlers validate their input with
 * (tasks/_shared/input.ts); the TypeScript types are inferred from these schemas, so the two cannot
 * disagree. Payloads hold pointers and fixed-size counts only (a state payload is capped at 256 KiB).
 */

/** What AcquireLease returns: whether this execution holds the run lease, and who does when not. */
export const leaseOutcomeSchema = object({
  acquired: boolean().required(),
  owner: string().required(),
  holder: string().nullable().defined(),
});
export type LeaseOutcome = InferType<typeof leaseOutcomeSchema>;

/** What PlanBatch returns: the frozen batch, by id (its manifest is `Layout.manifest(batch_id)`). */
export const batchPlanSchema = object({
  /** Empty when there was nothing to plan (object_count 0). */
  batch_id: string().defined(),
  mode: string().oneOf(BATCH_MODES).required(),
  object_count: number().integer().min(0).required(),
  raw_bytes: number().integer().min(0).required(),
  /** Slice indexes for the Map states: [0, 1, ..., n-1]. */
  slices: array(number().integer().min(0).required()).required(),
  /** Checkpoint version after planning: CommitBatch compares-and-sets against it. */
  checkpoint_version: number().integer().min(0).required(),
  /** True when this run resumes a batch an earlier run planned but did not commit. */
  resumed: boolean().required(),
  /** ISO plan time (the rows' ingested_at), for the native ClassifyBatch statement. */
  planned_at: string().required(),
  /** Partitions per MERGE group, for the native ClassifyBatch statement. */
  max_partitions_per_merge: number().integer().min(1).required(),
  /** Raw objects listed but left for a later batch by the batch caps (0 when the listing was drained). */
  backlog_objects: number().integer().min(0).required(),
  /** Backfill (replay): the last raw (quarantine) key of this batch, where the next batch starts (`after`); else null. */
  next_after: string().nullable().defined(),
});
export type BatchPlan = InferType<typeof batchPlanSchema>;

const countsRecord = mixed<Record<string, number>>(
  (value: unknown): value is Record<string, number> =>
    typeof value === 'object' && value !== null && Object.values(value).every((n) => typeof n === 'number'),
);

/** What SummarizeSlices returns: the batch's validation counts, added up once, whatever the slice count. */
export const batchTotalsSchema = object({
  slices: number().integer().min(0).required(),
  objects: number().integer().min(0).required(),
  lines_read: number().integer().min(0).required(),
  blank_lines: number().integer().min(0).required(),
  quarantined: number().integer().min(0).required(),
  quarantined_by_reason: countsRecord.required(),
  /** Bad lines of objects a committed batch already quarantined (a backfill reading them again). */
  already_quarantined: number().integer().min(0).required(),
  /** Rows validation staged (final + lessons): what the SQL engine must read back. */
  staged_rows: number().integer().min(0).required(),
  /** Event-date span (YYYY-MM-DD) of the rows staged; null when none were. */
  date_min: string().nullable().defined(),
  date_max: string().nullable().defined(),
  /** The dedup horizon around that span: the curated partitions ClassifyBatch may read. */
  horizon_from: string().required(),
  horizon_to: string().required(),
});
export type BatchTotals = InferType<typeof batchTotalsSchema>;

/** One MERGE: its group number and the bounds of its partitions, which bound the MERGE's target scan. */
export const mergeGroupRefSchema = object({
  group: number().integer().min(0).required(),
  type_min: string().required(),
  type_max: string().required(),
  date_min: string().required(),
  date_max: string().required(),
});
export type MergeGroupRef = InferType<typeof mergeGroupRefSchema>;

/** What DedupBatch returns: the classification's counts and the merge groups, in order. */
export const dedupResultSchema = object({
  staged_rows: number().integer().min(0).required(),
  inserts: number().integer().min(0).required(),
  already_inserted: number().integer().min(0).required(),
  duplicates_in_batch: number().integer().min(0).required(),
  duplicates_existing: number().integer().min(0).required(),
  conflicts: number().integer().min(0).required(),
  /** Rows of users `eventlake forget` erased (src/pipeline/erased-users.ts): never merged, counted by the law. */
  erased: number().integer().min(0).required(),
  /** Conflicts in objects a committed batch already read (backfills): quarantined then, not again. */
  already_quarantined: number().integer().min(0).required(),
  enriched: number().integer().min(0).required(),
  no_account: number().integer().min(0).required(),
  no_subscription: number().integer().min(0).required(),
  partitions: number().integer().min(0).required(),
  /** Merge groups for the MergeGroups Map state, in order. */
  groups: array(mergeGroupRefSchema.required()).required(),
});
export type DedupResult = InferType<typeof dedupResultSchema>;
