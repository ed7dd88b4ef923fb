import { ConservationError } from '../errors';
import { renderSql } from '../sql/render';
import { Layout } from '../ports/layout';
import type { DedupResult } from './dedup-batch';
import type { PipelineDeps } from './deps';
import { summarize, type RunSummary } from './run-summary';
import type { BatchMode } from '../ports/orchestrator';
import type { BatchTotals } from './summarize-slices';
import { readManifest, replayCandidateCount } from './manifest';
import { readBatchOutcomes, recordIdentity } from './replay-outcomes';

export interface VerifyInput {
  readonly batchId: string;
  readonly mode: BatchMode;
  readonly resumed: boolean;
  readonly backlogObjects: number;
  readonly nextAfter: string | null;
  readonly totals: BatchTotals;
  readonly dedup: DedupResult;
}

/**
 * Proves lines_read = inserted + duplicates_in_batch + duplicates_existing + quarantined + already_quarantined
 * + blank_lines + erased
 * from what was actually written (rows of this batch in the table, lines in its quarantine objects),
 * not only from counters. Any gap fails the run before the checkpoint moves.
 */
export async function verifyBatch(deps: PipelineDeps, input: VerifyInput): Promise<RunSummary> {
  const summary = summarize(input);
  const problems: string[] = [];

  const staged = input.totals.staged_rows;
  if (staged !== input.dedup.staged_rows) {
    problems.push(`validation staged ${staged} rows but the SQL engine read ${input.dedup.staged_rows}`);
  }
  const classes =
    input.dedup.inserts + input.dedup.already_inserted + input.dedup.duplicates_in_batch +
    input.dedup.duplicates_existing + input.dedup.conflicts + input.dedup.erased;
  if (classes !== input.dedup.staged_rows) {
    problems.push(`dedup classified ${classes} of ${input.dedup.staged_rows} staged rows`);
  }

  const [written] = await deps.sql.query<{ rows: number }>(
    renderSql(deps.dialect, 'count_batch_rows', { batch_rows_source: await deps.sources.batchRowsSource(input.batchId) }),
    [input.batchId, input.totals.date_min ?? '1970-01-01', input.totals.date_max ?? '1970-01-01'],
  );
  const rowsWritten = written?.rows ?? 0;
  if (rowsWritten !== summary.inserted) {
    problems.push(`the table holds ${rowsWritten} rows of this batch, expected ${summary.inserted}`);
  }

  const quarantineLines = await countQuarantineLines(deps, input.batchId);
  if (quarantineLines !== summary.quarantined) {
    problems.push(`the quarantine holds ${quarantineLines} records of this batch, expected ${summary.quarantined}`);
  }

  const accounted =
    summary.inserted + summary.duplicates_in_batch + summary.duplicates_existing + summary.quarantined +
    summary.already_quarantined + summary.blank_lines + summary.erased;
  if (accounted !== summary.lines_read) {
    problems.push(
      `lines_read ${summary.lines_read} != inserted ${summary.inserted} + duplicates_in_batch ${summary.duplicates_in_batch} + ` +
        `duplicates_existing ${summary.duplicates_existing} + quarantined ${summary.quarantined} + already_quarantined ${summary.already_quarantined} + ` +
          `blank_lines ${summary.blank_lines} + erased ${summary.erased} (= ${accounted})`,
    );
  }
  if (input.mode === 'replay') problems.push(...(await replayProblems(deps, input.batchId, summary)));
  if (problems.length > 0) {
    throw new ConservationError(`batch ${input.batchId} does not balance; nothing committed: ${problems.join('; ')}`);
  }
  deps.progress(`verified: ${summary.lines_read} lines accounted for`);
  return summary;
}

/**
 * A replay must account for every quarantine record it planned (docs/quarantine.md#replay): each was read
 * (lines_read = the plan's candidates), none was recorded again (quarantined 0), and each has exactly one
 * outcome whose counts match the summary: merged = inserted, duplicate = duplicates, conflict +
 * still_invalid = already_quarantined.
 */
async function replayProblems(deps: PipelineDeps, batchId: string, summary: RunSummary): Promise<string[]> {
  const problems: string[] = [];
  const planned = replayCandidateCount(await readManifest(deps.objects, Layout.manifest(batchId)));
  if (summary.lines_read !== planned) problems.push(`the replay planned ${planned} quarantined lines but read ${summary.lines_read}`);
  if (summary.quarantined !== 0) problems.push(`the replay wrote ${summary.quarantined} new quarantine records (a line is quarantined at most once)`);
  const outcomes = (await readBatchOutcomes(deps.objects, batchId)) ?? [];
  const identities = new Set(outcomes.map(recordIdentity));
  if (outcomes.length !== planned || identities.size !== planned) {
    problems.push(`the replay recorded ${identities.size} distinct outcomes (${outcomes.length} lines) for ${planned} planned lines`);
  }
  const count = (name: string) => outcomes.filter((o) => o.replay_outcome === name).length;
  const expected = {
    merged: summary.inserted,
    duplicate: summary.duplicates_in_batch + summary.duplicates_existing,
    'conflict + still_invalid': summary.already_quarantined,
  };
  const found = { merged: count('merged'), duplicate: count('duplicate'), 'conflict + still_invalid': count('conflict') + count('still_invalid') };
  for (const [name, n] of Object.entries(expected)) {
    const got = found[name as keyof typeof found];
    if (got !== n) problems.push(`the replay recorded ${got} ${name} outcomes, expected ${n}`);
  }
  return problems;
}

async function countQuarantineLines(deps: PipelineDeps, batchId: string): Promise<number> {
  let lines = 0;
  for await (const info of deps.objects.list(Layout.quarantine(batchId))) {
    // Streamed: a batch's quarantine may be far larger than memory (a junk object of a million lines).
    for await (const chunk of await deps.objects.getStream(info.key)) {
      const body = chunk as Buffer;
      for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) lines++;
    }
  }
  return lines;
}
