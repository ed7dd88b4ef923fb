import { shiftUtcDate } from '../time/utc';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from './deps';
import type { BatchTotals } from './payloads';
import { readManifest } from './manifest';
import { removeStaleParts } from './part-writer';
import { sortedReasons, type SliceValidation } from './validate-slice';

export type { BatchTotals } from './payloads';

const NO_DATE = '1970-01-01';

/**
 * Reads every slice's result object (written by ValidateSlice) and adds them up. A missing result means a
 * slice did not finish: that fails the run rather than undercounting.
 *
 * Then drops the slices' lesson parts: EnrichSlices wrote each again, enriched, under staging/staged/, so
 * nothing reads them any more (a retry of this state finds none to drop; a resumed run validates again and
 * writes them anew). They were a third of the batch's staged bytes; dropped before ClassifyBatch, their room
 * goes to the classification's and the merge's files (docs/performance.md).
 */
export async function summarizeSlices(deps: PipelineDeps, batchId: string): Promise<BatchTotals> {
  const manifest = await readManifest(deps.objects, Layout.manifest(batchId));
  const results = await Promise.all(
    manifest.slices.map(async (_range, slice) => JSON.parse((await deps.objects.get(Layout.sliceResult(batchId, slice))).toString('utf8')) as SliceValidation),
  );
  const totals = addUp(results, deps.config.dedupHorizonDays);
  for (let slice = 0; slice < manifest.slices.length; slice++) await removeStaleParts(deps.objects, Layout.stagedLessons(batchId, slice), 0);
  return totals;
}

export function addUp(results: readonly SliceValidation[], horizonDays: number): BatchTotals {
  const byReason: Record<string, number> = {};
  let objects = 0;
  let lines = 0;
  let blank = 0;
  let quarantined = 0;
  let already = 0;
  let staged = 0;
  let dateMin: string | null = null;
  let dateMax: string | null = null;
  for (const r of results) {
    objects += r.objects;
    lines += r.lines_read;
    blank += r.blank_lines;
    quarantined += r.quarantined;
    already += r.already_quarantined;
    staged += r.staged_final + r.staged_lessons;
    for (const [reason, n] of Object.entries(r.quarantined_by_reason)) byReason[reason] = (byReason[reason] ?? 0) + n;
    if (r.date_min !== null && (dateMin === null || r.date_min < dateMin)) dateMin = r.date_min;
    if (r.date_max !== null && (dateMax === null || r.date_max > dateMax)) dateMax = r.date_max;
  }
  return {
    slices: results.length,
    objects,
    lines_read: lines,
    blank_lines: blank,
    quarantined,
    quarantined_by_reason: sortedReasons(byReason),
    already_quarantined: already,
    staged_rows: staged,
    date_min: dateMin,
    date_max: dateMax,
    horizon_from: dateMin === null ? NO_DATE : shiftUtcDate(dateMin, -horizonDays),
    horizon_to: dateMax === null ? NO_DATE : shiftUtcDate(dateMax, horizonDays),
  };
}
