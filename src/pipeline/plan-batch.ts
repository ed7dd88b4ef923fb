import { addHours } from 'date-fns/addHours';
import { parseUtcDate, shiftUtcDate, utcDaysBetween } from '../time/utc';
import type { ObjectInfo } from '../ports/object-store';
import type { Checkpoint } from '../ports/state-store';
import { InvalidInputError } from '../errors';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from './deps';
import type { BatchPlan } from './payloads';
import type { BatchMode } from '../ports/orchestrator';
import { batchIdFor, readManifest, sliceObjects, type BatchManifest } from './manifest';
import type { RunInput } from './run-input';
import { planReplay } from './plan-replay';

/**
 * What PlanBatch hands the state machine: pointers and counts only. `batch_id` alone names the batch: every
 * key of it (the manifest's included) follows from it through src/ports/layout.ts.
 */
export type { BatchPlan } from './payloads';

/**
 * Step Functions Standard executions keep at most 25,000 history events
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); each slice costs about 16
 * (two Map iterations of a Task), so a batch never has more slices than this.
 */
export const MAX_SLICES_PER_BATCH = 1000;

export function checkpointName(deps: PipelineDeps, mode: BatchMode): string {
  return mode === 'scheduled' ? deps.config.pipelineName : `${deps.config.pipelineName}-${mode}`;
}

/** Scheduled and replay batches point their checkpoint at the pending batch, so a killed run resumes it. */
export function resumesPending(mode: BatchMode): boolean {
  return mode !== 'backfill';
}

/**
 * Freezes the batch. Scheduled: resume the pending batch if there is one, else every raw object not in
 * the processed ledger (late objects under an older hour prefix included). Backfill: every raw object
 * under the day prefixes of the range. The manifest is written before the checkpoint points at it.
 */
export async function planBatch(deps: PipelineDeps, input: RunInput): Promise<BatchPlan> {
  if (input.mode === 'replay') return planReplay(deps, input);
  const mode = input.mode;
  const name = checkpointName(deps, mode);
  const checkpoint = await deps.state.getCheckpoint(name);

  if (mode === 'scheduled' && checkpoint.pending) {
    const manifest = await readManifest(deps.objects, checkpoint.pending.manifestKey);
    deps.progress(`resuming uncommitted batch ${manifest.batch_id} (${manifest.objects.length} objects)`);
    const inBatch = new Set(manifest.objects.map((o) => o.key));
    const listed = (await listScheduled(deps)).filter((o) => !inBatch.has(o.key));
    const processed = await deps.state.filterProcessed(listed.map((o) => o.key));
    const backlog = listed.filter((o) => !processed.has(o.key)).length;
    return toPlan(deps, manifest, checkpoint.version, true, backlog);
  }

  const listed = mode === 'scheduled' ? await listScheduled(deps) : await listBackfill(deps, input);
  const processed = mode === 'scheduled' ? await deps.state.filterProcessed(listed.map((o) => o.key)) : new Set<string>();
  const after = mode === 'backfill' ? input.after : undefined;
  const candidates = listed
    .filter((o) => !processed.has(o.key) && (after === undefined || o.key > after))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (candidates.length === 0) {
    deps.progress('no new raw objects');
    return emptyPlan(deps, mode, checkpoint.version);
  }
  const objects = capBatch(candidates, deps.config);
  // A backfill reads objects committed batches already read: their bad lines were quarantined then.
  const reprocessed = mode === 'backfill' ? await deps.state.filterProcessed(objects.map((o) => o.key)) : new Set<string>();
  const backlog = candidates.length - objects.length;
  if (backlog > 0) deps.progress(`batch capped at ${objects.length} objects: ${backlog} left for the next batch`);

  const batchId = batchIdFor(mode, objects.map((o) => o.key));
  const manifestKey = Layout.manifest(batchId);
  const manifest: BatchManifest = {
    batch_id: batchId,
    mode,
    planned_at: deps.clock.now().toISOString(),
    range: mode === 'backfill' && input.from && input.to ? { from: input.from, to: input.to } : null,
    // The listing's marks (escaped name, not a regular file) travel with the key: ValidateSlice quarantines
    // such an entry instead of opening it (src/raw/classify.ts).
    objects: objects.map((o) => ({
      key: o.key,
      sizeBytes: o.sizeBytes,
      ...(o.escapedName === true ? { escapedName: true } : {}),
      ...(o.notRegularFile !== undefined ? { notRegularFile: o.notRegularFile } : {}),
      ...(reprocessed.has(o.key) ? { reprocessed: true } : {}),
    })),
    slices: sliceObjects(objects, deps.config.sliceMaxBytes),
  };
  await deps.objects.put(manifestKey, JSON.stringify(manifest));

  const version = resumesPending(mode) ? await markPending(deps, name, checkpoint, batchId) : checkpoint.version;
  deps.progress(`planned batch ${batchId}: ${objects.length} objects, ${manifest.slices.length} slices`);
  return toPlan(deps, manifest, version, false, backlog);
}

/** Points the checkpoint at the planned batch (compare-and-set), so a killed run resumes it; returns the new version. */
export async function markPending(deps: PipelineDeps, name: string, checkpoint: Checkpoint, batchId: string): Promise<number> {
  const written = await deps.state.putCheckpoint({
    name,
    expectedVersion: checkpoint.version,
    pending: { batchId, manifestKey: Layout.manifest(batchId) },
    ...(checkpoint.lastBatchId !== undefined ? { lastBatchId: checkpoint.lastBatchId } : {}),
    ...(checkpoint.committedAt !== undefined ? { committedAt: checkpoint.committedAt } : {}),
  });
  return written.version;
}

/** The plan of a batch with nothing to do (HasObjects? ends the run). */
export function emptyPlan(deps: PipelineDeps, mode: BatchMode, version: number): BatchPlan {
  return {
    batch_id: '', mode, object_count: 0, raw_bytes: 0, slices: [], checkpoint_version: version,
    resumed: false, planned_at: deps.clock.now().toISOString(), max_partitions_per_merge: deps.config.maxPartitionsPerMerge,
    backlog_objects: 0, next_after: null,
  };
}

/**
 * The longest prefix of the sorted candidates within the caps: objects, stored bytes (an object larger
 * than the byte cap still makes a batch alone, so nothing is ever stuck) and slices.
 */
export function capBatch(candidates: readonly ObjectInfo[], config: PipelineDeps['config']): ObjectInfo[] {
  let bytes = 0;
  let end = 0;
  while (end < candidates.length && end < config.maxBatchObjects) {
    const next = (candidates[end] as ObjectInfo).sizeBytes;
    if (end > 0 && bytes + next > config.maxBatchBytes) break;
    bytes += next;
    end++;
  }
  let objects = candidates.slice(0, end);
  while (objects.length > 1 && sliceObjects(objects, config.sliceMaxBytes).length > MAX_SLICES_PER_BATCH) {
    objects = objects.slice(0, Math.max(1, Math.floor(objects.length * 0.9)));
  }
  return objects;
}

export function toPlan(deps: PipelineDeps, manifest: BatchManifest, version: number, resumed: boolean, backlog = 0): BatchPlan {
  const last = manifest.objects[manifest.objects.length - 1]?.key ?? null;
  return {
    batch_id: manifest.batch_id,
    mode: manifest.mode,
    object_count: manifest.objects.length,
    raw_bytes: manifest.objects.reduce((sum, o) => sum + o.sizeBytes, 0),
    slices: manifest.slices.map((_s, index) => index),
    checkpoint_version: version,
    resumed,
    planned_at: manifest.planned_at,
    max_partitions_per_merge: deps.config.maxPartitionsPerMerge,
    backlog_objects: backlog,
    next_after: manifest.mode !== 'scheduled' && backlog > 0 ? last : null,
  };
}

async function listScheduled(deps: PipelineDeps): Promise<ObjectInfo[]> {
  const lookback = deps.config.lookbackHours;
  if (lookback === undefined) return collect(deps, [Layout.raw]);
  const now = deps.clock.now();
  const prefixes: string[] = [];
  for (let h = lookback; h >= 0; h--) prefixes.push(hourPrefix(addHours(now, -h)));
  return collect(deps, prefixes);
}

async function listBackfill(deps: PipelineDeps, input: RunInput): Promise<ObjectInfo[]> {
  if (!input.from || !input.to) throw new InvalidInputError('backfill needs from and to (YYYY-MM-DD)');
  const days = utcDaysBetween(input.from, input.to);
  if (days > 3660) throw new InvalidInputError(`backfill range too long: ${days + 1} days (max 3661)`);
  const prefixes: string[] = [];
  for (let d = 0; d <= days; d++) prefixes.push(dayPrefix(parseUtcDate(shiftUtcDate(input.from, d))));
  return collect(deps, prefixes);
}

async function collect(deps: PipelineDeps, prefixes: readonly string[]): Promise<ObjectInfo[]> {
  const found: ObjectInfo[] = [];
  for (const prefix of prefixes) for await (const info of deps.objects.list(prefix)) found.push(info);
  return found;
}

/** `raw/YYYY/MM/DD/HH/` of a UTC time (toISOString is always UTC: never the local zone). */
function hourPrefix(at: Date): string {
  const iso = at.toISOString();
  return `raw/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/`;
}

function dayPrefix(at: Date): string {
  const iso = at.toISOString();
  return `raw/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/`;
}
