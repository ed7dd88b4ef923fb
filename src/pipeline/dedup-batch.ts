import { toQuarantineRecord } from '../contract/quarantine-record';
import { renderSql } from '../sql/render';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from './deps';
import type { DedupResult } from './payloads';
import { LineBuffer } from './line-buffer';
import { readManifest } from './manifest';
import { writeReplayOutcomes } from './replay-outcomes';


export type { DedupResult, MergeGroupRef } from './payloads';

type CountsRow = Omit<DedupResult, 'groups' | 'already_quarantined'>;

/**
 * Reads the batch's classification (written by the native ClearClassified + ClassifyBatch statements):
 * the class counts, the merge groups with their partition bounds, and the conflicts, which go to the
 * quarantine as duplicate_conflict. Classification itself: first occurrence (object key, line) wins within
 * the batch; a curated row already there wins across batches, looked up only within the dedup horizon.
 */
export async function dedupBatch(deps: PipelineDeps, batchId: string): Promise<DedupResult> {
  const { sql, sources, dialect } = deps;
  const manifest = await readManifest(deps.objects, Layout.manifest(batchId));
  const classified = sources.classifiedSource(batchId);
  const [counts] = await sql.query<CountsRow>(renderSql(dialect, 'classified_counts', { classified_source: classified }), [batchId]);
  if (!counts) throw new Error(`classified_counts returned no row for batch ${batchId}`);
  const groups = await sql.query<{ merge_group: number; type_min: string; type_max: string; date_min: string; date_max: string }>(
    renderSql(dialect, 'classified_groups', { classified_source: classified }),
    [batchId],
  );
  // A replay's lines were all quarantined once already (docs/quarantine.md#replay): a conflict is not recorded again.
  const replay = manifest.mode === 'replay';
  const reprocessed = new Set(manifest.objects.filter((o) => o.reprocessed === true).map((o) => o.key));
  const alreadyQuarantined = await quarantineConflicts(deps, batchId, classified, manifest.planned_at, (key) => replay || reprocessed.has(key));
  if (replay) await writeReplayOutcomes(deps, manifest, classified);

  deps.progress(
    `dedup: ${counts.inserts} new, ${counts.duplicates_in_batch} duplicates in batch, ` +
      `${counts.duplicates_existing} already stored, ${counts.conflicts} conflicts, ${counts.erased} erased, ${groups.length} merge groups`,
  );
  return {
    ...counts,
    already_quarantined: alreadyQuarantined,
    groups: groups.map((g) => ({ group: g.merge_group, type_min: g.type_min, type_max: g.type_max, date_min: g.date_min, date_max: g.date_max })),
  };
}

/**
 * The local counterpart of the ClassifyBatch Athena state (sql/duckdb/classify_batch.sql), with the same
 * values the state formats into the Athena text.
 */
export async function classifyBatch(
  deps: PipelineDeps,
  values: { batchId: string; horizonFrom: string; horizonTo: string; maxPartitionsPerMerge: number; plannedAt: string },
): Promise<void> {
  const manifest = await readManifest(deps.objects, Layout.manifest(values.batchId));
  const { batchId } = values;
  await deps.sql.run(
    renderSql(deps.dialect, 'classify_batch', {
      staged_source: await deps.sources.stagedSource(batchId, manifest.slices.length),
      curated_source: await deps.sources.curatedSource(),
      erased_users_source: await deps.sources.erasedUsersSource(),
      erasure_salt_source: await deps.sources.erasureSaltSource(),
      classified_target: deps.sources.classifiedTarget(batchId),
    }),
    [batchId, values.horizonFrom, values.horizonTo, batchId, values.maxPartitionsPerMerge, batchId, values.plannedAt],
  );
}

/** Quarantines the batch's conflicts, except those of lines quarantined before; returns how many of those it skipped. */
async function quarantineConflicts(deps: PipelineDeps, batchId: string, classified: string, at: string, quarantinedBefore: (sourceKey: string) => boolean): Promise<number> {
  const rows = await deps.sql.query<{ event_uuid: string; class: string; source_key: string; line_no: number; payload: string }>(
    renderSql(deps.dialect, 'classified_conflicts', { classified_source: classified }),
    [batchId],
  );
  const out = new LineBuffer();
  let already = 0;
  for (const row of rows) {
    if (quarantinedBefore(row.source_key)) {
      already++;
      continue;
    }
    out.push(JSON.stringify(
      toQuarantineRecord({
        batchId,
        sourceKey: row.source_key,
        lineNo: row.line_no,
        reason: 'duplicate_conflict',
        errors: [
          row.class === 'conflict_in_batch'
            ? `event_uuid ${row.event_uuid} appeared earlier in this batch with different content; the first occurrence was kept. Send a new uuid for a new event.`
            : `event_uuid ${row.event_uuid} is already stored with different content; the stored row was kept. Send a new uuid for a new event.`,
        ],
        raw: Buffer.from(row.payload, 'utf8'),
        quarantinedAt: at,
      }),
    ));
  }
  const key = Layout.quarantineConflicts(batchId);
  if (out.length > 0) await deps.objects.put(key, out.toBuffer());
  else await deps.objects.delete(key);
  return already;
}
