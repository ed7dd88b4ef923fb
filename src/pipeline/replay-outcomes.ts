import { ObjectNotFoundError } from '../errors';
import { renderSql } from '../sql/render';
import { Layout } from '../ports/layout';
import type { ObjectStore } from '../ports/object-store';
import type { PipelineDeps } from './deps';
import { LineBuffer } from './line-buffer';
import type { BatchManifest } from './manifest';
import { replayLines } from './replay-source';

/**
 * What a replay did with one quarantine record: `merged` (now a curated row), `duplicate` (valid, but the
 * same event was already stored or came earlier in the replay: counted, like any duplicate), `conflict`
 * (valid, but its uuid belongs to a different stored event: it stays quarantined) or `still_invalid`
 * (the current contract still rejects it: it stays quarantined).
 */
export const REPLAY_OUTCOMES = ['merged', 'duplicate', 'conflict', 'still_invalid'] as const;
export type ReplayOutcomeName = (typeof REPLAY_OUTCOMES)[number];

/** Outcomes after which a record is never replayed again. */
export const SETTLED_OUTCOMES: ReadonlySet<string> = new Set<ReplayOutcomeName>(['merged', 'duplicate']);

/** One line of `replays/batch_id=<id>/outcomes.ndjson` (Layout.replayOutcomes). */
export interface ReplayOutcome {
  /** The record's identity: the original raw key and line (a raw line is quarantined at most once). */
  readonly source_key: string;
  readonly line_no: number;
  /** The batch that quarantined it. */
  readonly quarantine_batch_id: string;
  readonly replay_batch_id: string;
  /** The replay batch's plan time (the same on every retry, so a rewritten file is identical). */
  readonly replayed_at: string;
  readonly replay_outcome: ReplayOutcomeName;
}

export function recordIdentity(record: { readonly source_key: string; readonly line_no: number | null }): string {
  return `${record.line_no ?? ''}\n${record.source_key}`;
}

export type ReplayOutcomeCounts = Record<ReplayOutcomeName, number>;

/**
 * Writes the outcome of every record a replay batch planned, from the batch's classification (a record whose
 * line was not staged is still invalid), and returns the counts. Runs in DedupBatch, after classification;
 * the file is rewritten whole by a retry. Readers see it once the batch's committed marker exists.
 */
export async function writeReplayOutcomes(deps: PipelineDeps, manifest: BatchManifest, classifiedSource: string): Promise<ReplayOutcomeCounts> {
  const rows = await deps.sql.query<{ source_key: string; line_no: number; class: string }>(
    renderSql(deps.dialect, 'classified_outcomes', { classified_source: classifiedSource }),
    [manifest.batch_id],
  );
  const classes = new Map(rows.map((r) => [recordIdentity({ source_key: r.source_key, line_no: Number(r.line_no) }), r.class]));
  const counts: ReplayOutcomeCounts = { merged: 0, duplicate: 0, conflict: 0, still_invalid: 0 };
  const out = new LineBuffer();
  const everySlice = { first: 0, end: manifest.objects.length };
  for await (const lines of replayLines(deps.objects, manifest, everySlice, undefined)) {
    for (const { record } of lines) {
      const outcome = outcomeOf(classes.get(recordIdentity(record)));
      counts[outcome]++;
      const line: ReplayOutcome = {
        source_key: record.source_key,
        line_no: record.line_no as number,
        quarantine_batch_id: record.batch_id,
        replay_batch_id: manifest.batch_id,
        replayed_at: manifest.planned_at,
        replay_outcome: outcome,
      };
      out.push(JSON.stringify(line));
    }
  }
  await deps.objects.put(Layout.replayOutcomes(manifest.batch_id), out.toBuffer());
  return counts;
}

function outcomeOf(cls: string | undefined): ReplayOutcomeName {
  switch (cls) {
    case undefined:
      return 'still_invalid';
    case 'insert':
    case 'already_inserted':
      return 'merged';
    case 'duplicate_in_batch':
    case 'duplicate_existing':
      return 'duplicate';
    default:
      return 'conflict';
  }
}

/** The outcomes a replay batch wrote, or undefined when it wrote none. */
export async function readBatchOutcomes(objects: ObjectStore, batchId: string): Promise<ReplayOutcome[] | undefined> {
  let text: string;
  try {
    text = (await objects.get(Layout.replayOutcomes(batchId))).toString('utf8');
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ReplayOutcome);
}

/** Every outcome of the committed replay batches. */
export async function readReplayOutcomes(objects: ObjectStore, committed: ReadonlySet<string>): Promise<ReplayOutcome[]> {
  const all: ReplayOutcome[] = [];
  for await (const info of objects.list(Layout.replays)) {
    const batchId = /^replays\/batch_id=([0-9a-f]+)\/outcomes\.ndjson$/.exec(info.key)?.[1];
    if (batchId === undefined || !committed.has(batchId)) continue;
    all.push(...((await readBatchOutcomes(objects, batchId)) ?? []));
  }
  return all;
}
