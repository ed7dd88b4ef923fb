import { Layout } from '../../ports/layout';
import type { RunSummary } from '../../pipeline/run-summary';
import type { LocalLake } from '../../runtime/local-lake';
import { holderIsGone } from '../../adapters/local/file-state-store';
import { classifyRawObject } from '../../raw/classify';
import { queryLake } from './query';
import { checkpointName } from '../../pipeline/plan-batch';
import { oldestOf, scanRetention } from '../../pipeline/retain';
import { RETENTION_AREAS, type RetentionArea, type RetentionDays } from '../../ports/retention';
import { lakeRetention } from '../retention-config';
import { describeDays, modifiedAtMs } from './retain';

/** The run lease as `status` shows it: who holds it, since when, its heartbeat and expiry, whether it is dead. */
export interface LeaseStatus {
  holder: string;
  since: string | null;
  heartbeat: string | null;
  expires_at: string;
  pid: number | null;
  host: string | null;
  /** True when the holder is gone (process exited or heartbeat stopped): the next run takes the lease at once. */
  holder_gone: boolean;
}

export interface LakeStatus {
  lake: string;
  checkpoint: { version: number; last_batch_id: string | null; committed_at: string | null; pending_batch_id: string | null };
  /** Entries under raw/ (objects, and entries that cannot be read as objects). */
  raw_objects: number;
  /** Of those, not yet in the processed ledger: the next run plans them. */
  raw_objects_unprocessed: number;
  /**
   * Of those, the entries no run can read (a key the key rules refuse, a name that is not UTF-8, not a
   * regular file): each is, or on the next run becomes, one quarantine record; they stay until fixed.
   */
  raw_objects_unprocessable: number;
  /** Temporary files under raw/ (writes in progress, or left by a crashed write): never read, never planned. */
  raw_objects_skipped: number;
  curated_rows: number;
  curated_partitions: number;
  quarantined_rows: number;
  lease: LeaseStatus | null;
  /** The summary of the last committed batch, scheduled or backfill. */
  last_run: RunSummary | null;
  /**
   * What each area keeps (days, null: forever; from the defaults or <lake>/retention.json) and the time of
   * its oldest object as `eventlake retain` ages it (docs/operations.md#retention).
   */
  retention: { source: string } & Record<RetentionArea, { days: RetentionDays; oldest: string | null }>;
}

/** Where the lake stands: checkpoint, backlog, table sizes, last run. */
export async function lakeStatus(lake: LocalLake): Promise<LakeStatus> {
  const checkpoint = await lake.state.getCheckpoint(lake.config.pipelineName);
  const lease = await lake.state.describeLease(lake.config.pipelineName);
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const rawKeys: string[] = [];
  let unprocessable = 0;
  for await (const info of lake.objects.list(Layout.raw)) {
    rawKeys.push(info.key);
    if (classifyRawObject(info) !== undefined) unprocessable++;
  }
  const skipped = lake.objects.listTemporary ? await count(lake.objects.listTemporary(Layout.raw)) : 0;
  const processed = await lake.state.filterProcessed(rawKeys);
  const [curated] = await queryLake(lake, 'SELECT count(*) AS n, count(DISTINCT (event_type, event_date)) AS p FROM events');
  const [quarantined] = await lake.sql.query({ name: 'status_quarantine', text: 'SELECT count(*) AS n FROM quarantine' });
  // The last committed batch, scheduled or backfill (a backfill moves its own checkpoint: checkpointName).
  const backfill = await lake.state.getCheckpoint(checkpointName(lake, 'backfill'));
  const latest = [checkpoint, backfill]
    .filter((c) => c.lastBatchId !== undefined)
    .sort((a, b) => (b.committedAt ?? '').localeCompare(a.committedAt ?? ''))[0];
  let lastRun: RunSummary | null = null;
  if (latest?.lastBatchId && (await lake.objects.exists(Layout.runSummary(latest.lastBatchId)))) {
    lastRun = JSON.parse((await lake.objects.get(Layout.runSummary(latest.lastBatchId))).toString('utf8')) as RunSummary;
  }
  return {
    lake: lake.root,
    checkpoint: {
      version: checkpoint.version,
      last_batch_id: checkpoint.lastBatchId ?? null,
      committed_at: checkpoint.committedAt ?? null,
      pending_batch_id: checkpoint.pending?.batchId ?? null,
    },
    raw_objects: rawKeys.length,
    raw_objects_unprocessed: rawKeys.length - processed.size,
    raw_objects_unprocessable: unprocessable,
    raw_objects_skipped: skipped,
    curated_rows: Number(curated?.n ?? 0),
    curated_partitions: Number(curated?.p ?? 0),
    quarantined_rows: Number(quarantined?.n ?? 0),
    lease:
      lease === undefined
        ? null
        : {
            holder: lease.owner,
            since: iso(lease.acquiredAtMs),
            heartbeat: iso(lease.heartbeatAtMs),
            expires_at: new Date(lease.expiresAtMs).toISOString(),
            pid: lease.pid ?? null,
            host: lease.host ?? null,
            holder_gone: holderIsGone(lease) || lake.clock.now().getTime() >= lease.expiresAtMs,
          },
    last_run: lastRun,
    retention: await retentionStatus(lake),
  };
}

async function retentionStatus(lake: LocalLake): Promise<LakeStatus['retention']> {
  const { retention, source } = await lakeRetention(lake.objects, lake.config.dedupHorizonDays);
  const scanned = await scanRetention(lake, { modifiedAtMs: modifiedAtMs(lake.objects) });
  const areas = Object.fromEntries(RETENTION_AREAS.map((area) => [area, { days: retention[area], oldest: oldestOf(scanned[area]) }]));
  return { source, ...(areas as Record<RetentionArea, { days: RetentionDays; oldest: string | null }>) };
}

async function count(items: AsyncIterable<unknown>): Promise<number> {
  const iterator = items[Symbol.asyncIterator]();
  let n = 0;
  while (!(await iterator.next()).done) n++;
  return n;
}

/** `status` for people: the same facts as --json, one per line. */
export function humanStatus(s: LakeStatus): string {
  const lease = s.lease
    ? `held by ${s.lease.holder} since ${s.lease.since ?? '?'} (heartbeat ${s.lease.heartbeat ?? '?'}, expires ${s.lease.expires_at})${s.lease.holder_gone ? ': holder gone, the next run takes it' : ''}`
    : 'free';
  const run = s.last_run;
  return [
    `lake                 ${s.lake}`,
    `checkpoint           version ${s.checkpoint.version}, last batch ${s.checkpoint.last_batch_id ?? 'none'}${s.checkpoint.committed_at ? ` at ${s.checkpoint.committed_at}` : ''}`,
    `pending batch        ${s.checkpoint.pending_batch_id ?? 'none'}`,
    `raw objects          ${s.raw_objects} (${s.raw_objects_unprocessed} not processed yet, ${s.raw_objects_unprocessable} unprocessable, ${s.raw_objects_skipped} temporary files skipped)`,
    `curated rows         ${s.curated_rows} in ${s.curated_partitions} partitions`,
    `quarantined rows     ${s.quarantined_rows}`,
    `run lease            ${lease}`,
    run
      ? `last run             batch ${run.batch_id} (${run.mode}) committed at ${run.committed_at ?? '?'}: ${run.lines_read} lines, ${run.inserted} inserted, ${run.quarantined} quarantined`
      : 'last run             none',
    `retention            from ${s.retention.source}`,
    ...RETENTION_AREAS.map((area) => `  ${area.padEnd(19)}${describeDays(s.retention[area].days)}, oldest ${s.retention[area].oldest ?? 'none'}`),
  ].join('\n');
}
