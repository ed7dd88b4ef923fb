import type { QuarantineRecord } from '../contract/types';
import { Layout } from '../ports/layout';
import type { ObjectInfo, ObjectStore } from '../ports/object-store';
import { committedBatchIds } from './committed-batches';
import type { PipelineDeps } from './deps';
import { batchIdFor, readManifest, sliceObjects, type BatchManifest, type ManifestObject, type ReplaySelection } from './manifest';
import type { BatchPlan } from './payloads';
import { capBatch, checkpointName, emptyPlan, markPending, toPlan } from './plan-batch';
import { isReplayable, readQuarantineRecords } from './replay-source';
import { readReplayOutcomes, recordIdentity, SETTLED_OUTCOMES } from './replay-outcomes';
import type { RunInput } from './run-input';

type Candidate = ObjectInfo & { readonly replayLines: number[] };

/**
 * PlanBatch of a replay (docs/quarantine.md#replay): resume the pending replay batch if there is one, else
 * freeze the quarantine records to re-validate. A candidate is a record of a committed batch that holds a
 * whole line (replay-source.ts isReplayable), matches the selection (reason, days of `quarantined_at`), and
 * was not settled by a committed replay (merged, or found to be a duplicate): records still invalid are
 * checked again by every replay, never recorded again. The batch's objects are the quarantine objects holding
 * candidates, capped like raw objects; `next_after` continues after the last one.
 */
export async function planReplay(deps: PipelineDeps, input: RunInput): Promise<BatchPlan> {
  const name = checkpointName(deps, 'replay');
  const checkpoint = await deps.state.getCheckpoint(name);
  if (checkpoint.pending) {
    const manifest = await readManifest(deps.objects, checkpoint.pending.manifestKey);
    deps.progress(`resuming uncommitted replay batch ${manifest.batch_id}`);
    return toPlan(deps, manifest, checkpoint.version, true);
  }

  const selection: ReplaySelection = { reason: input.reason ?? null, from: input.from ?? null, to: input.to ?? null, transform: input.transform ?? null };
  const committed = await committedBatchIds(deps.objects);
  const settled = new Set<string>();
  for (const outcome of await readReplayOutcomes(deps.objects, committed)) {
    if (SETTLED_OUTCOMES.has(outcome.replay_outcome)) settled.add(recordIdentity(outcome));
  }
  const candidates = (await listCandidates(deps.objects, committed, settled, selection)).filter((c) => input.after === undefined || c.key > input.after);
  const lines = candidates.reduce((n, c) => n + c.replayLines.length, 0);
  if (candidates.length === 0) {
    deps.progress('no quarantined lines to replay');
    return emptyPlan(deps, 'replay', checkpoint.version);
  }
  const capped = capBatch(candidates, deps.config) as Candidate[];
  const objects: ManifestObject[] = capped.map((c) => ({ key: c.key, sizeBytes: c.sizeBytes, replayLines: c.replayLines }));
  const backlog = candidates.length - objects.length;
  // The same records, transform and checkpoint give the same id (a retried plan); the next replay after a commit a new one.
  const batchId = batchIdFor('replay', [
    ...capped.map((c) => `${c.key}#${c.replayLines.join(',')}`),
    `transform=${selection.transform ?? ''}`,
    `checkpoint=${checkpoint.version}`,
  ]);
  const manifest: BatchManifest = {
    batch_id: batchId,
    mode: 'replay',
    planned_at: deps.clock.now().toISOString(),
    range: selection.from !== null && selection.to !== null ? { from: selection.from, to: selection.to } : null,
    objects,
    slices: sliceObjects(objects, deps.config.sliceMaxBytes),
    replay: selection,
  };
  await deps.objects.put(Layout.manifest(batchId), JSON.stringify(manifest));
  const version = await markPending(deps, name, checkpoint, batchId);
  deps.progress(`planned replay batch ${batchId}: ${lines} quarantined lines in ${objects.length} objects${backlog > 0 ? `, ${backlog} objects left for the next batch` : ''}`);
  return toPlan(deps, manifest, version, false, backlog);
}

/** The quarantine objects of committed batches holding candidates, by key, with the candidates' line indexes. */
async function listCandidates(objects: ObjectStore, committed: ReadonlySet<string>, settled: ReadonlySet<string>, selection: ReplaySelection): Promise<Candidate[]> {
  const seen = new Set<string>();
  const found: Candidate[] = [];
  for await (const info of objects.list(Layout.quarantineRoot)) {
    const batchId = /^quarantine\/batch_id=([0-9a-f]+)\//.exec(info.key)?.[1];
    if (batchId === undefined || !committed.has(batchId) || !info.key.endsWith('.ndjson')) continue;
    const replayLines: number[] = [];
    (await readQuarantineRecords(objects, info.key)).forEach((record, index) => {
      const identity = recordIdentity(record);
      if (!selected(record, selection) || settled.has(identity) || seen.has(identity)) return;
      seen.add(identity);
      replayLines.push(index);
    });
    if (replayLines.length > 0) found.push({ key: info.key, sizeBytes: info.sizeBytes, replayLines });
  }
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function selected(record: QuarantineRecord, selection: ReplaySelection): boolean {
  if (!isReplayable(record)) return false;
  if (selection.reason !== null && record.reason !== selection.reason) return false;
  const day = record.quarantined_at.slice(0, 10);
  return (selection.from === null || day >= selection.from) && (selection.to === null || day <= selection.to);
}
