import { randomBytes } from 'node:crypto';
import { Layout } from '../ports/layout';
import type { ObjectInfo } from '../ports/object-store';
import { RETENTION_AREAS, RETENTION_PREFIXES, retentionCutoffMs, type Retention, type RetentionArea, type RetentionDays } from '../ports/retention';
import { classifyRawObject } from '../raw/classify';
import { BATCH_FILE, COMPACTIONS } from './compact';
import type { PipelineDeps } from './deps';
import { acquireLease, releaseLease } from './lease';
import { arrivalHourMs } from './manifest';
import { checkpointName } from './plan-batch';

/** One object of an area as retention judges it. */
export interface RetainedObject {
  readonly key: string;
  readonly bytes: number;
  /** The instant its age counts from; undefined when it has none (never removed). */
  readonly timeMs: number | undefined;
  /** Why it is never removed whatever its age (unprocessed raw object, batch not committed, ...). */
  readonly protectedBy?: string;
}

export interface RetainOptions {
  readonly retention: Retention;
  /** Report what would go, remove nothing, take no lease. */
  readonly dryRun?: boolean;
  /**
   * A local file's modification time: the age of a raw object whose key carries no arrival hour (not
   * `raw/YYYY/MM/DD/HH/...`) and of an abandoned batch's files. Without it those have no age and are kept.
   */
  readonly modifiedAtMs?: (key: string) => Promise<number | undefined>;
}

export interface AreaReport {
  /** Days the area keeps; null: forever. */
  readonly days: RetentionDays;
  /** Objects whose time is before this are past retention (null: no retention). */
  readonly cutoff: string | null;
  readonly objects: number;
  readonly bytes: number;
  /** Removed (with --dry-run: would be removed). */
  readonly removed_objects: number;
  readonly removed_bytes: number;
  /** Kept whatever their age: raw not processed yet, a pending batch's files, curated files of a batch not committed. */
  readonly protected_objects: number;
  /** Time of the oldest object left afterwards (null: none with a known time). */
  readonly oldest: string | null;
}

export interface RetainReport {
  readonly status: 'retained' | 'dry_run' | 'skipped';
  readonly holder: string | null;
  readonly now: string;
  readonly areas: Record<RetentionArea, AreaReport>;
}

/** The batch id a staging or quarantine key belongs to, or undefined for keys outside a batch's folders. */
function batchOfKey(key: string): string | undefined {
  return /^(?:staging\/batches\/([0-9a-f]+)\/|staging\/staged\/batch_id=([0-9a-f]+)\/|quarantine\/batch_id=([0-9a-f]+)\/)/
    .exec(key)
    ?.slice(1)
    .find((id) => id !== undefined);
}

/** `curated/events/event_type=<t>/event_date=<d>/<file>.parquet` -> partition folder and date, else undefined. */
function curatedPartitionOf(key: string): { partition: string; dateMs: number; file: string } | undefined {
  const match = /^(event_type=[^/]+\/event_date=(\d{4})-(\d{2})-(\d{2})\/)([^/]+\.parquet)$/.exec(key.slice(Layout.curatedEvents.length));
  if (!match || !key.startsWith(Layout.curatedEvents)) return undefined;
  const [, partition, y, m, d, file] = match as unknown as [string, string, string, string, string, string];
  return { partition, dateMs: Date.UTC(Number(y), Number(m) - 1, Number(d)), file };
}

/** When each committed batch committed: its marker, or (older lakes) its run summary. */
async function commitTimes(deps: PipelineDeps): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const prefix of [Layout.committedPrefix, 'runs/']) {
    for await (const info of deps.objects.list(prefix)) {
      const id = /([0-9a-f]+)\.json$/.exec(info.key)?.[1];
      if (id === undefined || times.has(id)) continue;
      const at = (JSON.parse((await deps.objects.get(info.key)).toString('utf8')) as { committed_at?: unknown }).committed_at;
      const ms = typeof at === 'string' ? Date.parse(at) : NaN;
      if (Number.isFinite(ms)) times.set(id, ms);
    }
  }
  return times;
}

/**
 * The batch a scheduled run will resume (its checkpoint's `pending`). A backfill records no pending batch: one
 * that failed is planned afresh by the next backfill, which rewrites its files.
 */
async function pendingBatchIds(deps: PipelineDeps): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const mode of ['scheduled', 'backfill'] as const) {
    const pending = (await deps.state.getCheckpoint(checkpointName(deps, mode))).pending;
    if (pending) ids.add(pending.batchId);
  }
  return ids;
}

async function all(prefix: string, deps: PipelineDeps): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of deps.objects.list(prefix)) out.push(info);
  return out;
}

/**
 * Every object of each area with the time its age counts from (docs/operations.md#retention):
 * raw, its arrival hour (`raw/YYYY/MM/DD/HH/`, what S3 sees as its creation time), else its file's time;
 * staging and quarantine, the commit time of their batch (an abandoned batch: its files' time; a pending
 * batch: none, it is kept); curated, the partition's `event_date`.
 */
export async function scanRetention(deps: PipelineDeps, options: Pick<RetainOptions, 'modifiedAtMs'> = {}): Promise<Record<RetentionArea, RetainedObject[]>> {
  const committed = await commitTimes(deps);
  const pending = await pendingBatchIds(deps);

  const rawInfos = await all(RETENTION_PREFIXES.raw, deps);
  const processed = await deps.state.filterProcessed(rawInfos.filter((i) => classifyRawObject(i) === undefined).map((i) => i.key));
  const raw: RetainedObject[] = [];
  for (const info of rawInfos) {
    const unusable = classifyRawObject(info) !== undefined;
    const timeMs = unusable ? undefined : (arrivalHourMs(info.key) ?? (await options.modifiedAtMs?.(info.key)));
    const protectedBy = unusable ? 'an entry no run can read (kept until fixed)' : !processed.has(info.key) ? 'not processed yet' : undefined;
    raw.push({ key: info.key, bytes: info.sizeBytes, timeMs, ...(protectedBy ? { protectedBy } : {}) });
  }

  // A committed batch ages from its commit; one neither committed nor pending was abandoned (a failed backfill,
  // a plan killed before its checkpoint): nothing reads its files again, so they age from their files' time.
  const byBatch = async (infos: ObjectInfo[]): Promise<RetainedObject[]> => {
    const out: RetainedObject[] = [];
    for (const info of infos) {
      const batch = batchOfKey(info.key);
      const protectedBy = batch === undefined ? 'not part of a batch' : pending.has(batch) ? 'its batch is pending' : undefined;
      const timeMs = protectedBy !== undefined || batch === undefined ? undefined : (committed.get(batch) ?? (await options.modifiedAtMs?.(info.key)));
      out.push({ key: info.key, bytes: info.sizeBytes, timeMs, ...(protectedBy ? { protectedBy } : {}) });
    }
    return out;
  };

  const curated: RetainedObject[] = [];
  for (const info of await all(RETENTION_PREFIXES.curated, deps)) {
    const at = curatedPartitionOf(info.key);
    const batch = at ? BATCH_FILE.exec(at.file)?.[1] : undefined;
    const protectedBy =
      at === undefined ? 'not a partition file' : batch !== undefined && !committed.has(batch) ? 'its batch is not committed' : undefined;
    curated.push({ key: info.key, bytes: info.sizeBytes, timeMs: at?.dateMs, ...(protectedBy ? { protectedBy } : {}) });
  }

  return {
    raw,
    staging: await byBatch(await all(RETENTION_PREFIXES.staging, deps)),
    quarantine: await byBatch(await all(RETENTION_PREFIXES.quarantine, deps)),
    curated,
  };
}

/** The time of the oldest object with a known time, as ISO, or null. */
export function oldestOf(objects: readonly RetainedObject[]): string | null {
  let oldest: number | undefined;
  for (const o of objects) if (o.timeMs !== undefined && (oldest === undefined || o.timeMs < oldest)) oldest = o.timeMs;
  return oldest === undefined ? null : new Date(oldest).toISOString();
}

/**
 * Removes, in each area, the objects past its retention, under the run lease (held: status `skipped`,
 * nothing removed): never a raw object not processed yet, the files of the batch a run will resume, or a
 * curated file of a batch that is not committed. A curated partition goes whole (its compaction manifests after its files), so
 * readers see the partitions left exactly as before. Rules: docs/operations.md#retention.
 */
export async function retain(deps: PipelineDeps, options: RetainOptions): Promise<RetainReport> {
  const now = deps.clock.now();
  const owner = `retain-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const dryRun = options.dryRun === true;
  if (!dryRun) {
    const lease = await acquireLease(deps, owner);
    if (!lease.acquired) {
      const scanned = { raw: [], staging: [], quarantine: [], curated: [] };
      return { status: 'skipped', holder: lease.holder, now: now.toISOString(), areas: reports(options.retention, scanned, new Set(), now.getTime()) };
    }
  }
  try {
    const scanned = await scanRetention(deps, options);
    const expired = new Set<string>();
    for (const area of RETENTION_AREAS) {
      const days = options.retention[area];
      if (days === null) continue;
      const cutoff = retentionCutoffMs(days, now.getTime());
      for (const o of scanned[area]) if (o.protectedBy === undefined && o.timeMs !== undefined && o.timeMs < cutoff) expired.add(o.key);
    }
    if (!dryRun) {
      for (const area of RETENTION_AREAS) {
        const gone = scanned[area].filter((o) => expired.has(o.key));
        for (const o of gone) await deps.objects.delete(o.key);
        if (gone.length > 0) deps.progress(`${area}: removed ${gone.length} objects past ${options.retention[area]} days`);
      }
      await removeEmptyCompactions(deps, scanned.curated, expired);
    }
    return { status: dryRun ? 'dry_run' : 'retained', holder: null, now: now.toISOString(), areas: reports(options.retention, scanned, expired, now.getTime()) };
  } finally {
    if (!dryRun) await releaseLease(deps, owner);
  }
}

/** A partition whose files all went keeps no compaction manifest (what it lists is gone). */
async function removeEmptyCompactions(deps: PipelineDeps, curated: readonly RetainedObject[], expired: ReadonlySet<string>): Promise<void> {
  const left = new Set<string>();
  const emptied = new Set<string>();
  for (const o of curated) {
    const partition = curatedPartitionOf(o.key)?.partition;
    if (partition === undefined) continue;
    if (expired.has(o.key)) emptied.add(partition);
    else left.add(partition);
  }
  for (const partition of emptied) {
    if (left.has(partition)) continue;
    for await (const info of deps.objects.list(`${COMPACTIONS}${partition}`)) await deps.objects.delete(info.key);
  }
}

function reports(retention: Retention, scanned: Record<RetentionArea, RetainedObject[]>, expired: ReadonlySet<string>, nowMs: number): Record<RetentionArea, AreaReport> {
  const out = {} as Record<RetentionArea, AreaReport>;
  for (const area of RETENTION_AREAS) {
    const days = retention[area];
    const cutoff = days === null ? undefined : retentionCutoffMs(days, nowMs);
    const objects = scanned[area];
    const gone = objects.filter((o) => expired.has(o.key));
    out[area] = {
      days,
      cutoff: cutoff === undefined ? null : new Date(cutoff).toISOString(),
      objects: objects.length,
      bytes: objects.reduce((n, o) => n + o.bytes, 0),
      removed_objects: gone.length,
      removed_bytes: gone.reduce((n, o) => n + o.bytes, 0),
      protected_objects: objects.filter((o) => o.protectedBy !== undefined).length,
      oldest: oldestOf(objects.filter((o) => !expired.has(o.key))),
    };
  }
  return out;
}
