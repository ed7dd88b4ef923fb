import { Layout } from '../ports/layout';
import type { BatchMode } from '../ports/orchestrator';
import type { PipelineDeps } from './deps';
import { checkpointName } from './plan-batch';
import type { RunSummary } from './run-summary';
import { readManifest } from './manifest';

export interface CommitInput {
  readonly batchId: string;
  readonly mode: BatchMode;
  readonly checkpointVersion: number;
  readonly summary: RunSummary;
}

/** The committed marker's one JSON line: its fields are COMMITTED_BATCHES_COLUMNS, in that order (a test checks it). */
export function committedMarker(input: Pick<CommitInput, 'batchId' | 'mode' | 'summary'>, committedAt: string): Record<string, unknown> {
  const s = input.summary;
  return {
    batch_id: input.batchId,
    mode: input.mode,
    committed_at: committedAt,
    lines_read: s.lines_read,
    inserted: s.inserted,
    duplicates_in_batch: s.duplicates_in_batch,
    duplicates_existing: s.duplicates_existing,
    quarantined: s.quarantined,
    quarantined_by_reason: s.quarantined_by_reason,
    already_quarantined: s.already_quarantined,
    blank_lines: s.blank_lines,
  };
}

/**
 * Publishes the batch's pending files (local runtime; Iceberg already committed on AWS), writes the batch's
 * committed marker (what the readers' views filter on), then advances
 * the checkpoint by compare-and-set, adding the batch's objects to the processed ledger in the same
 * write. A crash between the two leaves the batch pending: the next run resumes it and finds its rows
 * already there (class already_inserted), so the table and the summary come out the same.
 */
export async function commitBatch(deps: PipelineDeps, input: CommitInput): Promise<RunSummary> {
  const manifest = await readManifest(deps.objects, Layout.manifest(input.batchId));
  const pending = Layout.curatedPending(input.batchId);
  let published = 0;
  for await (const info of deps.objects.list(pending)) {
    await deps.objects.move(info.key, Layout.curatedEvents + info.key.slice(pending.length));
    published++;
  }

  const committedAt = deps.clock.now().toISOString();
  // Every file is in place: from this write on, readers see the whole batch (never part of it).
  await deps.objects.put(Layout.committedMarker(input.batchId), `${JSON.stringify(committedMarker(input, committedAt))}\n`);
  const name = checkpointName(deps, input.mode);
  const expectedVersion = input.mode === 'scheduled' ? input.checkpointVersion : (await deps.state.getCheckpoint(name)).version;
  await deps.state.putCheckpoint({
    name,
    expectedVersion,
    lastBatchId: input.batchId,
    committedAt,
    processedKeys: manifest.objects.map((o) => o.key),
  });
  const summary: RunSummary = { ...input.summary, committed_at: committedAt };
  await deps.objects.put(Layout.runSummary(input.batchId), `${JSON.stringify(summary, null, 2)}\n`);
  deps.progress(`committed batch ${input.batchId}: ${published} files published, checkpoint advanced`);
  return summary;
}
