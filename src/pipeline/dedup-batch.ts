import { toQuarantineRecord } from '../contract/quarantine-record';
import { renderSql } from '../sql/render';
import { shiftUtcDate } from '../time/utc';
import { Layout } from './config';
import type { PipelineDeps } from './deps';
import { LineBuffer } from './line-buffer';
import { readManifest } from './manifest';

export interface DedupResult {
  readonly staged_rows: number;
  readonly inserts: number;
  readonly already_inserted: number;
  readonly duplicates_in_batch: number;
  readonly duplicates_existing: number;
  readonly conflicts: number;
  readonly enriched: number;
  readonly no_account: number;
  readonly no_subscription: number;
  readonly partitions: number;
  /** Merge group numbers for the MergeGroups Map state. */
  readonly groups: number[];
  /** Event-date span of the staged rows (YYYY-MM-DD), null when nothing was staged: bounds later scans. */
  readonly date_min: string | null;
  readonly date_max: string | null;
}

type CountsRow = {
  staged_rows: number;
  inserts: number;
  already_inserted: number;
  duplicates_in_batch: number;
  duplicates_existing: number;
  conflicts: number;
  enriched: number;
  no_account: number;
  no_subscription: number;
  partitions: number;
};

/**
 * Dedups the staged batch in SQL: first occurrence (object key, line) wins within the batch; a curated
 * row already there wins across batches, looked up only within the dedup horizon of the batch's event
 * dates. Same uuid with different content goes to the quarantine as duplicate_conflict.
 */
export async function dedupBatch(deps: PipelineDeps, batchId: string, manifestKey: string): Promise<DedupResult> {
  const manifest = await readManifest(deps.objects, manifestKey);
  const { sql, sources, dialect } = deps;
  const staged = await sources.stagedSource(batchId, manifest.slices.length);

  const [span] = await sql.query<{ date_min: string | null; date_max: string | null }>(
    renderSql(dialect, 'batch_date_range', { staged_source: staged }),
    [batchId],
  );
  const horizon = deps.config.dedupHorizonDays;
  const from = span?.date_min ? shiftUtcDate(span.date_min, -horizon) : '1970-01-01';
  const to = span?.date_max ? shiftUtcDate(span.date_max, horizon) : '1970-01-01';

  for (const statement of sources.beforeClassify(batchId)) await sql.run(statement, [batchId]);
  await sql.run(
    renderSql(dialect, 'classify_batch', {
      staged_source: staged,
      curated_source: await sources.curatedSource(),
      classified_target: sources.classifiedTarget(batchId),
    }),
    [batchId, from, to, batchId, deps.config.maxPartitionsPerMerge, batchId, manifest.planned_at],
  );

  const classified = sources.classifiedSource(batchId);
  const [counts] = await sql.query<CountsRow>(renderSql(dialect, 'classified_counts', { classified_source: classified }), [batchId]);
  if (!counts) throw new Error(`classified_counts returned no row for batch ${batchId}`);
  const groups = await sql.query<{ merge_group: number }>(
    renderSql(dialect, 'classified_groups', { classified_source: classified }),
    [batchId],
  );
  await quarantineConflicts(deps, batchId, classified, manifest.planned_at);

  deps.progress(
    `dedup: ${counts.inserts} new, ${counts.duplicates_in_batch} duplicates in batch, ` +
      `${counts.duplicates_existing} already stored, ${counts.conflicts} conflicts, ${groups.length} merge groups`,
  );
  return { ...counts, groups: groups.map((g) => g.merge_group), date_min: span?.date_min ?? null, date_max: span?.date_max ?? null };
}

async function quarantineConflicts(deps: PipelineDeps, batchId: string, classified: string, at: string): Promise<void> {
  const rows = await deps.sql.query<{ event_uuid: string; class: string; source_key: string; line_no: number; payload: string }>(
    renderSql(deps.dialect, 'classified_conflicts', { classified_source: classified }),
    [batchId],
  );
  const out = new LineBuffer();
  for (const row of rows) {
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
}
