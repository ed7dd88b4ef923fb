import { array, number, object, string, ValidationError, type InferType } from 'yup';
import { InvalidInputError } from '../errors';
import { Layout } from '../ports/layout';
import { deleteObjects } from '../ports/object-store';
import { renderSql } from '../sql/render';
import { shiftUtcDate, utcDate, utcDaysBetween } from '../time/utc';
import type { PipelineDeps } from './deps';
import { releaseLease } from './lease';

/**
 * The AWS compaction (state-machines/compaction.asl.json): what its Lambdas decide. Athena rewrites the
 * files (OPTIMIZE, VACUUM: native states); these cores choose the partitions and the committed batches whose
 * staging is pruned, delete that staging, and free the lease. docs/operations.md#compaction-on-aws.
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Defaults of a compaction started with no input (the schedule passes the stage's settings). */
export const COMPACTION_DEFAULTS = { days: 2, prune_after_days: 3 } as const;

/**
 * Partitions one execution compacts. Each is one Map item of `{event_type, event_date}` (about 60 bytes) in
 * a state payload capped at 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html):
 * 1,500 stay under 100 KiB. A wider range fails at planning, asking for a narrower one.
 */
export const MAX_COMPACTION_PARTITIONS = 1500;
/** Committed batches whose staging one execution prunes (a day of 15-minute runs is 96); the rest wait for the next. */
export const MAX_PRUNED_BATCHES = 200;
/** Days one execution may span. */
export const MAX_COMPACTION_DAYS = 31;

/** The execution's input: `{}` (defaults), the schedule's `{days, prune_after_days}`, or a manual `{from, to}`. */
export const compactionInputSchema = object({
  from: string().matches(DATE, 'from must be YYYY-MM-DD'),
  to: string().matches(DATE, 'to must be YYYY-MM-DD'),
  /** Days ending yesterday (UTC) when from/to are not given. */
  days: number().integer().min(1).max(MAX_COMPACTION_DAYS),
  /** Staging of batches committed at least this many days ago is pruned. */
  prune_after_days: number().integer().min(0),
}).noUnknown(true);
export type CompactionInput = InferType<typeof compactionInputSchema>;

export const compactionPartitionSchema = object({ event_type: string().required(), event_date: string().matches(DATE).required() });

/** What PlanCompaction returns (`$.plan`). */
export const compactionPlanSchema = object({
  from: string().required(),
  to: string().required(),
  partitions: array(compactionPartitionSchema.required()).required(),
  /** Committed batches whose classification and staging this execution removes. */
  prune: array(string().required()).required(),
  /** Prunable batches left for a later execution by MAX_PRUNED_BATCHES. */
  prune_left: number().integer().min(0).required(),
});
export type CompactionPlan = InferType<typeof compactionPlanSchema>;

export function parseCompactionInput(value: unknown): CompactionInput {
  let input: CompactionInput;
  try {
    input = compactionInputSchema.validateSync(value ?? {}, { strict: true, abortEarly: false });
  } catch (error) {
    const message = error instanceof ValidationError ? error.errors.join('; ') : String(error);
    throw new InvalidInputError(`invalid compaction input: ${message} (expected {} or {"from":"YYYY-MM-DD","to":"YYYY-MM-DD"} or {"days":N,"prune_after_days":N})`);
  }
  if ((input.from === undefined) !== (input.to === undefined)) throw new InvalidInputError('invalid compaction input: give both from and to, or neither');
  if (input.from !== undefined && input.to !== undefined) {
    if (input.from > input.to) throw new InvalidInputError(`invalid compaction input: from ${input.from} is after to ${input.to}`);
    if (input.days !== undefined) throw new InvalidInputError('invalid compaction input: days goes with no from/to');
    if (utcDaysBetween(input.from, input.to) + 1 > MAX_COMPACTION_DAYS) {
      throw new InvalidInputError(`invalid compaction input: ${input.from}..${input.to} spans more than ${MAX_COMPACTION_DAYS} days: compact it in several executions`);
    }
  }
  return input;
}

/** The days to compact, the partitions they hold, and the committed batches whose staging is old enough to prune. */
export async function planCompaction(deps: PipelineDeps, value: unknown): Promise<CompactionPlan> {
  const input = parseCompactionInput(value);
  const today = utcDate(deps.clock.now());
  const to = input.to ?? shiftUtcDate(today, -1);
  const from = input.from ?? shiftUtcDate(to, -((input.days ?? COMPACTION_DEFAULTS.days) - 1));
  const statement = renderSql(deps.dialect, 'compaction_partitions', { compaction_source: await deps.sources.curatedSource() });
  const rows = await deps.sql.query<{ event_type: string; event_date: string }>(statement, [from, to]);
  if (rows.length > MAX_COMPACTION_PARTITIONS) {
    throw new InvalidInputError(
      `${from}..${to} holds ${rows.length} partitions, more than the ${MAX_COMPACTION_PARTITIONS} one compaction takes: start it with a narrower {"from","to"}`,
    );
  }
  const partitions = rows.map((r) => ({ event_type: String(r.event_type), event_date: String(r.event_date).slice(0, 10) }));
  const cutoffMs = deps.clock.now().getTime() - (input.prune_after_days ?? COMPACTION_DEFAULTS.prune_after_days) * 86_400_000;
  const prunable = await committedStagedBatches(deps, cutoffMs);
  deps.progress(`compaction ${from}..${to}: ${partitions.length} partitions, ${prunable.length} committed batches to prune`);
  return { from, to, partitions, prune: prunable.slice(0, MAX_PRUNED_BATCHES), prune_left: Math.max(0, prunable.length - MAX_PRUNED_BATCHES) };
}

/** The batch id of a key under staging/batches/<id>/ or staging/staged/batch_id=<id>/. */
function stagedBatchOf(key: string): string | undefined {
  return /^staging\/(?:batches\/|staged\/batch_id=)([0-9a-f]+)\//.exec(key)?.[1];
}

/** When a batch's committed marker says it committed, or undefined for a batch with no marker (in flight). */
async function committedAtMs(deps: PipelineDeps, batchId: string): Promise<number | undefined> {
  if (!(await deps.objects.exists(Layout.committedMarker(batchId)))) return undefined;
  const marker = JSON.parse((await deps.objects.get(Layout.committedMarker(batchId))).toString('utf8')) as { committed_at?: unknown };
  const at = Date.parse(String(marker.committed_at));
  if (!Number.isFinite(at)) throw new InvalidInputError(`${Layout.committedMarker(batchId)}: committed_at ${JSON.stringify(marker.committed_at)} is not a time`);
  return at;
}

/**
 * Batches that still have staging and whose committed marker is older than `cutoffMs`, oldest first. A
 * batch with no marker is in flight (planned, failed, waiting to resume) and is never listed.
 */
async function committedStagedBatches(deps: PipelineDeps, cutoffMs: number): Promise<string[]> {
  const ids = new Set<string>();
  for (const prefix of ['staging/batches/', 'staging/staged/']) {
    for await (const info of deps.objects.list(prefix)) {
      const id = stagedBatchOf(info.key);
      if (id !== undefined) ids.add(id);
    }
  }
  const old: { id: string; at: number }[] = [];
  for (const id of ids) {
    const at = await committedAtMs(deps, id);
    if (at !== undefined && at <= cutoffMs) old.push({ id, at });
  }
  return old.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id)).map((b) => b.id);
}

export interface PruneResult {
  readonly batches_pruned: number;
  readonly objects_deleted: number;
}

/**
 * Deletes the staging of committed batches (staging/batches/<id>/, staging/staged/batch_id=<id>/), after
 * checking each one's committed marker again: a batch without one is refused, never deleted.
 */
export async function pruneStaging(deps: PipelineDeps, batchIds: readonly string[]): Promise<PruneResult> {
  let deleted = 0;
  for (const id of batchIds) {
    if (!/^[0-9a-f]+$/.test(id)) throw new InvalidInputError(`PruneStaging: not a batch id: ${JSON.stringify(id)}`);
    if ((await committedAtMs(deps, id)) === undefined) {
      throw new InvalidInputError(`PruneStaging: batch ${id} has no committed marker (${Layout.committedMarker(id)}): its staging is kept`);
    }
    const keys: string[] = [];
    for (const prefix of [Layout.batch(id), Layout.staged(id)]) for await (const info of deps.objects.list(prefix)) keys.push(info.key);
    await deleteObjects(deps.objects, keys);
    deleted += keys.length;
  }
  if (batchIds.length > 0) deps.progress(`pruned the staging of ${batchIds.length} committed batches (${deleted} objects)`);
  return { batches_pruned: batchIds.length, objects_deleted: deleted };
}

export interface CompactionSummary {
  readonly status: 'compacted' | 'failed';
  readonly from: string | null;
  readonly to: string | null;
  readonly partitions: number;
  readonly batches_pruned: number;
  readonly objects_deleted: number;
  readonly prune_left: number;
  readonly error: string | null;
}

/** Frees the lease and sums the execution up (ReleaseLease and ReleaseLeaseAfterFailure). */
export async function finishCompaction(
  deps: PipelineDeps,
  state: { owner: string; plan?: CompactionPlan | undefined; pruned?: PruneResult | undefined; error?: { Error: string; Cause: string } | undefined },
): Promise<CompactionSummary> {
  await releaseLease(deps, state.owner);
  return {
    status: state.error !== undefined ? 'failed' : 'compacted',
    from: state.plan?.from ?? null,
    to: state.plan?.to ?? null,
    partitions: state.plan?.partitions.length ?? 0,
    batches_pruned: state.pruned?.batches_pruned ?? 0,
    objects_deleted: state.pruned?.objects_deleted ?? 0,
    prune_left: state.plan?.prune_left ?? 0,
    error: state.error !== undefined ? `${state.error.Error}: ${state.error.Cause}` : null,
  };
}
