import { QUARANTINE_REPLAY_COLUMNS } from '../../src/contract/columns';
import { Layout } from '../../src/ports/layout';
import type { ObjectStore } from '../../src/ports/object-store';
import { readManifest } from '../../src/pipeline/manifest';
import type { RunSummary } from '../../src/pipeline/run-summary';

/** What the replay check reads of each record in the analysts' `quarantine` view: its identity and its replay columns. */
const COLUMNS = ['batch_id', 'source_key', 'line_no', ...QUARANTINE_REPLAY_COLUMNS.map((c) => c.name)] as const;

export type QuarantineReplayRow = Readonly<Record<(typeof COLUMNS)[number], string | null>>;

/** A committed replay batch: its summary and its plan time (the `replayed_at` of its outcomes). */
export interface ReplayBatch {
  readonly summary: RunSummary;
  readonly planned_at: string;
}

/**
 * The records of one batch in the `quarantine` view (a literal batch id: the table under the Athena view has
 * injected partition projection), cells as text so both engines' rows compare, in identity order.
 */
export function quarantineReplayQuery(view: string, batchId: string): string {
  if (!/^[0-9a-f]+$/.test(batchId)) throw new Error(`not a batch id: ${batchId}`);
  return `SELECT ${COLUMNS.join(', ')} FROM ${view} WHERE batch_id = '${batchId}'`;
}

export function quarantineReplayRows(rows: readonly Record<string, unknown>[]): QuarantineReplayRow[] {
  const text = (v: unknown): string | null => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return String(v);
    throw new Error(`quarantine view: a replay check column holds ${JSON.stringify(v)}, not text or a number`);
  };
  const typed = rows.map((row) => Object.fromEntries(COLUMNS.map((c) => [c, text(row[c])])) as QuarantineReplayRow);
  const key = (r: QuarantineReplayRow) => `${r.batch_id}\n${r.source_key}\n${(r.line_no ?? '').padStart(20, '0')}`;
  return typed.sort((a, b) => key(a).localeCompare(key(b)));
}

/** The committed replay batches of `summaries`, each with the plan time its manifest holds. */
export async function replayBatches(objects: ObjectStore, summaries: readonly RunSummary[]): Promise<ReplayBatch[]> {
  return Promise.all(summaries.map(async (summary) => ({ summary, planned_at: (await readManifest(objects, Layout.manifest(summary.batch_id))).planned_at })));
}

/**
 * After replays of an unchanged contract, every record the last replay re-validated shows it (its batch, its plan
 * time, `still_invalid`) and no record shows an earlier one (the view keeps the latest outcome), nor appears twice.
 */
export function replayedViewProblems(rows: readonly QuarantineReplayRow[], replays: readonly ReplayBatch[]): string[] {
  const last = replays[replays.length - 1];
  if (last === undefined) return ['no replay ran'];
  const problems: string[] = [];
  const shown = rows.filter((r) => r.replay_batch_id === last.summary.batch_id);
  if (shown.length !== last.summary.lines_read) {
    problems.push(`${shown.length} records show the last replay ${last.summary.batch_id}, which re-validated ${last.summary.lines_read}`);
  }
  const stale = rows.filter((r) => r.replay_batch_id !== null && r.replay_batch_id !== last.summary.batch_id);
  if (stale.length > 0) problems.push(`${stale.length} records show an earlier replay than the latest, e.g. ${JSON.stringify(stale[0])}`);
  const wrong = shown.filter((r) => r.replayed_at !== last.planned_at || r.replay_outcome !== 'still_invalid');
  if (wrong.length > 0) problems.push(`${wrong.length} records show another time or outcome than the replay planned at ${last.planned_at} gave, e.g. ${JSON.stringify(wrong[0])}`);
  const identities = new Set(rows.map((r) => `${r.batch_id}\n${r.source_key}\n${r.line_no}`));
  if (identities.size !== rows.length) problems.push(`${rows.length - identities.size} records appear more than once`);
  return problems;
}

/**
 * Local and AWS views of the same records after the same replays agree on every replay column. The replay
 * batches are named by their rank (their ids and plan times belong to each runtime's own checkpoint and clock).
 */
export function replayParityProblems(
  local: { readonly rows: readonly QuarantineReplayRow[]; readonly replays: readonly ReplayBatch[] },
  aws: { readonly rows: readonly QuarantineReplayRow[]; readonly replays: readonly ReplayBatch[] },
): string[] {
  const ranked = (side: typeof local) =>
    side.rows.map((row) => {
      const rank = side.replays.findIndex((r) => r.summary.batch_id === row.replay_batch_id);
      const at = side.replays.findIndex((r) => r.planned_at === row.replayed_at);
      return JSON.stringify({
        ...row,
        replay_batch_id: rank < 0 ? row.replay_batch_id : `replay ${rank + 1}`,
        replayed_at: at < 0 ? row.replayed_at : `plan time of replay ${at + 1}`,
      });
    });
  const [l, a] = [ranked(local), ranked(aws)];
  const problems: string[] = [];
  if (l.length !== a.length) problems.push(`quarantine records: local ${l.length}, aws ${a.length}`);
  const differing = l.filter((row, i) => row !== a[i]);
  if (differing.length > 0) problems.push(`${differing.length} quarantine records differ in their replay, e.g. local ${differing[0]} aws ${a[l.indexOf(differing[0] as string)]}`);
  if (!l.some((row) => (JSON.parse(row) as QuarantineReplayRow).replay_outcome !== null)) problems.push('no record of the local quarantine view shows a replay');
  return problems;
}
