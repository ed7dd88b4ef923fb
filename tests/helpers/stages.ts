import { STAGED_COLUMNS } from '../../src/contract/columns';
import type { ValidEvent } from '../../src/contract/types';
import { readStagedRows, STAGED_PARQUET_COLUMNS, type StagedRow, type StagedValues } from '../../src/pipeline/staged-row';
import type { Clock } from '../../src/ports/clock';
import { Layout } from '../../src/ports/layout';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { classifyBatch, dedupBatch, type DedupResult } from '../../src/pipeline/dedup-batch';
import { enrichSlice, type SliceEnrichment } from '../../src/pipeline/enrich-slice';
import { mergeGroup } from '../../src/pipeline/merge-group';
import { planBatch, type BatchPlan } from '../../src/pipeline/plan-batch';
import type { RunInput } from '../../src/pipeline/run-input';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { summarizeSlices, type BatchTotals } from '../../src/pipeline/summarize-slices';
import { validateSlice, type SliceRef, type SliceValidation } from '../../src/pipeline/validate-slice';
import { verifyBatch } from '../../src/pipeline/verify-batch';

/**
 * The pipeline's stages called directly, one after the other, as the state machine would (no orchestrator):
 * focused tests of one core prepare the batch up to the stage before it with these.
 */

/** A clock that reads `at` (ms since the epoch) each call, so a test can move time on. */
export function movableClock(iso: string): Clock & { at: number } {
  const clock = { at: Date.parse(iso), now: () => new Date(clock.at) };
  return clock;
}

/** The reference a Map iteration hands a slice task (tasks/_shared/slice-ref.ts). */
export function sliceRef(batchId: string, slice: number): SliceRef {
  return { batch_id: batchId, slice };
}

/** PlanBatch on `deps` (scheduled by default). */
export function planOn(deps: PipelineDeps, input: RunInput = { mode: 'scheduled' }): Promise<BatchPlan> {
  return planBatch(deps, input);
}

/** ValidateSlice for every slice of the plan, in order. */
export async function validateAll(deps: PipelineDeps, plan: BatchPlan): Promise<SliceValidation[]> {
  const out: SliceValidation[] = [];
  for (const slice of plan.slices) out.push(await validateSlice(deps, sliceRef(plan.batch_id, slice)));
  return out;
}

/** EnrichSlice for every slice of the plan, in order. */
export async function enrichAll(deps: PipelineDeps, plan: BatchPlan): Promise<SliceEnrichment[]> {
  const out: SliceEnrichment[] = [];
  for (const slice of plan.slices) out.push(await enrichSlice(deps, sliceRef(plan.batch_id, slice)));
  return out;
}

export interface StagedBatch {
  readonly plan: BatchPlan;
  readonly totals: BatchTotals;
}

/** Plan, validate, enrich and summarize: the batch as ClearClassified finds it. */
export async function stageBatch(deps: PipelineDeps, input?: RunInput): Promise<StagedBatch> {
  const plan = await planOn(deps, input);
  await validateAll(deps, plan);
  await enrichAll(deps, plan);
  const totals = await summarizeSlices(deps, plan.batch_id);
  return { plan, totals };
}

/** The local ClearClassified + ClassifyBatch states (src/runtime/athena-twin.ts), with the state machine's values. */
export async function classifyOn(deps: PipelineDeps, { plan, totals }: StagedBatch): Promise<void> {
  await deps.objects.delete(Layout.classified(plan.batch_id));
  await classifyBatch(deps, {
    batchId: plan.batch_id,
    horizonFrom: totals.horizon_from,
    horizonTo: totals.horizon_to,
    maxPartitionsPerMerge: plan.max_partitions_per_merge,
    plannedAt: plan.planned_at,
  });
}

export interface DedupedBatch extends StagedBatch {
  readonly dedup: DedupResult;
}

/** Up to DedupBatch: staged, classified and deduplicated (nothing merged yet). */
export async function dedupedBatch(deps: PipelineDeps, input?: RunInput): Promise<DedupedBatch> {
  const staged = await stageBatch(deps, input);
  await classifyOn(deps, staged);
  return { ...staged, dedup: await dedupBatch(deps, staged.plan.batch_id) };
}

/** Up to MergeGroups: every merge group written to the batch's pending folder. */
export async function mergedBatch(deps: PipelineDeps, input?: RunInput): Promise<DedupedBatch> {
  const batch = await dedupedBatch(deps, input);
  for (const group of batch.dedup.groups) await mergeGroup(deps, batch.plan.batch_id, group);
  return batch;
}

export interface VerifiedBatch extends DedupedBatch {
  readonly summary: RunSummary;
}

/** Up to VerifyBatch: merged and verified, ready for CommitBatch. */
export async function verifiedBatch(deps: PipelineDeps, input?: RunInput): Promise<VerifiedBatch> {
  const batch = await mergedBatch(deps, input);
  const summary = await verifyBatch(deps, {
    batchId: batch.plan.batch_id,
    mode: batch.plan.mode,
    resumed: batch.plan.resumed,
    backlogObjects: batch.plan.backlog_objects,
    nextAfter: batch.plan.next_after,
    totals: batch.totals,
    dedup: batch.dedup,
  });
  return { ...batch, summary };
}

/** Every key under `prefix`, in order. */
export async function keysUnder(deps: PipelineDeps, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of deps.objects.list(prefix)) keys.push(info.key);
  return keys;
}

/** The lines of an NDJSON object, parsed. */
/** The staged row of a valid event as an object (the oracle stagedValuesOf is held equal to). */
export function stagedRow(event: ValidEvent, sourceKey: string, lineNo: number): StagedRow {
  return {
    event_uuid: event.event_uuid,
    event_name: event.event_name,
    event_type: event.event_type,
    event_subtype: event.event_subtype,
    created_at: event.created_at,
    created_datetime: event.created_datetime,
    event_date: event.event_date,
    user_uuid: event.user_uuid,
    language: event.language,
    country: null,
    subscription_type: null,
    subscription_status: null,
    enrichment_status: 'not_applicable',
    payload: event.payload,
    source_key: sourceKey,
    line_no: lineNo,
  };
}

/** A staged row's values in the column table's order. */
export function stagedValues(row: StagedRow): StagedValues {
  return STAGED_COLUMNS.map((c) => row[c.name]);
}

/** The rows of a staged Parquet part as objects: text decoded, event_date as YYYY-MM-DD. */
export async function stagedRows(deps: PipelineDeps, key: string): Promise<Record<string, unknown>[]> {
  return readStagedRows(await deps.objects.get(key), key).map((values) =>
    Object.fromEntries(
      STAGED_PARQUET_COLUMNS.map((column, i) => {
        const value = values[i];
        if (Buffer.isBuffer(value)) return [column.name, value.toString('utf8')];
        if (column.type === 'date' && typeof value === 'number') return [column.name, new Date(value * 86_400_000).toISOString().slice(0, 10)];
        return [column.name, value];
      }),
    ),
  );
}

export async function ndjson(deps: PipelineDeps, key: string): Promise<Record<string, unknown>[]> {
  return (await deps.objects.get(key))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
