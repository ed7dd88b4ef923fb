import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Layout } from '../ports/layout';
import { hasObject } from '../ports/object-store';
import { sqlPathLiteral } from '../sql/render';
import type { PipelineDeps } from './deps';
import { committedBatchesSql, committedBatchIds } from './committed-batches';
import { acquireLease, releaseLease } from './lease';

/** Default size a compacted file aims at (Athena/Iceberg's usual 128 MiB target file size). */
export const DEFAULT_COMPACT_TARGET_BYTES = 128 * 1024 * 1024;

/**
 * A compacted file: `compact-<generation>-<i>.parquet`. The generation (8 digits, one more than the highest in
 * the partition) orders compactions; docs/operations.md#compaction gives the readers' rule built on it.
 */
const COMPACT_FILE = /^compact-(\d{8})-\d+\.parquet$/;
/** A merged file of one batch (src/adapters/local/duckdb-sources.ts mergeTarget's FILENAME_PATTERN). */
export const BATCH_FILE = /^part-([0-9a-f]+)-g\d+-\d+\.parquet$/;

/** Where a compaction's manifest goes: one per partition and generation (docs/operations.md#compaction). */
export const COMPACTIONS = 'curated/compactions/';

/**
 * The manifest of one compaction of one partition: the files it publishes and the files they replace.
 * `eventlake forget` publishes its rewrites the same way (src/pipeline/forget-curated.ts).
 */
export interface CompactionManifest {
  readonly adds: string[];
  readonly removes: string[];
}

/**
 * The readers' visibility rule, as a SQL condition over a scan with `filename` (absolute paths under `root`):
 * a compacted file (`compact-<generation>-<i>.parquet`) counts only once its compaction's manifest exists, and a
 * file a manifest removes no longer counts. One atomic put of the manifest flips both at once, so a reader sees
 * each batch from its old files or from the compacted one, never both and never neither. `compactions` is
 * false when the lake has no manifest yet (then no compacted file counts). Two hash joins on file names: no
 * window over the rows.
 */
export function visibleFiles(root: string, compactions: boolean): string {
  const compacted = `starts_with(parse_filename(filename), 'compact-')`;
  if (!compactions) return `NOT ${compacted}`;
  const manifests = `read_json(${sqlPathLiteral(`${root}/${COMPACTIONS}**/*.json`)}, columns = {adds: 'VARCHAR[]', removes: 'VARCHAR[]'})`;
  const listed = (field: 'adds' | 'removes') => `(SELECT ${sqlPathLiteral(`${root}/`)} || unnest(${field}) FROM ${manifests})`;
  return `(NOT ${compacted} OR filename IN ${listed('adds')}) AND filename NOT IN ${listed('removes')}`;
}

/** The manifest key of a partition's compaction `generation`. */
export function manifestKey(partition: string, generation: string): string {
  return `${COMPACTIONS}${partition}${generation}.json`;
}

export interface CompactOptions {
  /** Only partitions with event_date in [from, to] (YYYY-MM-DD, inclusive). */
  readonly from?: string;
  readonly to?: string;
  readonly targetBytes?: number;
  /** Test hook: runs after each partition is published (throw to simulate a kill). */
  readonly afterPartition?: (partition: string) => Promise<void> | void;
}

export interface CompactPartitionReport {
  readonly partition: string;
  readonly files_before: number;
  readonly files_after: number;
  readonly bytes_before: number;
  readonly rows: number;
  /** Files whose rows were all superseded (left by a killed compaction) and are only deleted. */
  readonly removed_superseded: number;
}

export interface CompactReport {
  readonly status: 'compacted' | 'skipped';
  readonly holder?: string | null;
  readonly partitions_scanned: number;
  readonly partitions_compacted: number;
  readonly files_before: number;
  readonly files_after: number;
  readonly target_bytes: number;
  readonly partitions: CompactPartitionReport[];
}

/** Where compacted files are written before their publishing rename (same file system as curated/events/). */
export const COMPACT_STAGING = 'curated/_compacting/';

/** A batch id as a SQL literal (ids are hex digests: anything else is refused, not escaped). */
function batchLiteral(id: string): string {
  if (!/^[0-9a-f]+$/.test(id)) throw new RangeError(`not a batch id: ${id}`);
  return `'${id}'`;
}

export interface PartitionFile {
  readonly key: string;
  readonly name: string;
  readonly size: number;
}

/**
 * Rewrites each curated partition holding more than one file of committed batches into as few files as the
 * target allows, under the run lease (a held lease: status `skipped`). Protocol: docs/operations.md#compaction.
 */
export async function compact(deps: PipelineDeps, options: CompactOptions = {}): Promise<CompactReport> {
  const targetBytes = options.targetBytes ?? DEFAULT_COMPACT_TARGET_BYTES;
  if (!(targetBytes > 0)) throw new RangeError(`target size must be positive: ${targetBytes}`);
  const owner = `compact-${deps.clock.now().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const lease = await acquireLease(deps, owner);
  const empty = { partitions_scanned: 0, partitions_compacted: 0, files_before: 0, files_after: 0, target_bytes: targetBytes, partitions: [] };
  if (!lease.acquired) return { status: 'skipped', holder: lease.holder, ...empty };
  try {
    // What a killed compaction was still writing: never published, so never read.
    for await (const info of deps.objects.list(COMPACT_STAGING)) await deps.objects.delete(info.key);
    const committed = await committedBatchIds(deps.objects);
    const committedIds = await committedBatchesSql(deps.objects);
    const partitions = await curatedPartitions(deps, options);
    const reports: CompactPartitionReport[] = [];
    for (const [partition, files] of partitions) {
      const report = await compactPartition(deps, partition, files, committed, committedIds, targetBytes);
      if (report) {
        reports.push(report);
        await options.afterPartition?.(partition);
      }
    }
    return {
      status: 'compacted',
      partitions_scanned: partitions.size,
      partitions_compacted: reports.length,
      files_before: reports.reduce((n, r) => n + r.files_before, 0),
      files_after: reports.reduce((n, r) => n + r.files_after, 0),
      target_bytes: targetBytes,
      partitions: reports,
    };
  } finally {
    await releaseLease(deps, owner);
  }
}

/** `event_type=<t>/event_date=<d>/` -> its Parquet files, for partitions in the date range. */
export async function curatedPartitions(deps: PipelineDeps, options: Pick<CompactOptions, 'from' | 'to'> = {}): Promise<Map<string, PartitionFile[]>> {
  const partitions = new Map<string, PartitionFile[]>();
  for await (const info of deps.objects.list(Layout.curatedEvents)) {
    const rest = info.key.slice(Layout.curatedEvents.length);
    const match = /^(event_type=[^/]+\/event_date=(\d{4}-\d{2}-\d{2})\/)([^/]+\.parquet)$/.exec(rest);
    if (!match) continue;
    const [, partition, date, name] = match as unknown as [string, string, string, string];
    if ((options.from !== undefined && date < options.from) || (options.to !== undefined && date > options.to)) continue;
    const files = partitions.get(partition) ?? [];
    files.push({ key: info.key, name, size: info.sizeBytes });
    partitions.set(partition, files);
  }
  return new Map([...partitions].sort(([a], [b]) => a.localeCompare(b)));
}

/** The generation a new rewrite of a partition holding `files` takes: one more than the highest there. */
export function nextGeneration(files: readonly PartitionFile[]): string {
  return String(Math.max(0, ...files.map((f) => Number(COMPACT_FILE.exec(f.name)?.[1] ?? 0))) + 1).padStart(8, '0');
}

async function compactPartition(
  deps: PipelineDeps,
  partition: string,
  all: PartitionFile[],
  committed: Set<string>,
  committedIds: string,
  targetBytes: number,
): Promise<CompactPartitionReport | undefined> {
  // Files of a batch not committed yet (a run killed between publishing and its marker) are never touched.
  const files = all.filter((f) => {
    if (COMPACT_FILE.test(f.name)) return true;
    const batch = BATCH_FILE.exec(f.name)?.[1];
    return batch !== undefined && committed.has(batch);
  });
  if (files.length === 0) return undefined;
  const paths = `[${files.map((f) => sqlPathLiteral(deps.objects.uri(f.key))).join(', ')}]`;
  const scan = `read_parquet(${paths}, hive_partitioning = true, hive_types = {'event_type': VARCHAR, 'event_date': DATE}, filename = true)`;
  const root = deps.objects.uri('').replace(/\/$/, '');
  const manifests = await hasObject(deps.objects, COMPACTIONS, '.json');
  const visible = `(SELECT * FROM ${scan} WHERE batch_id IN ${committedIds} AND ${visibleFiles(root, manifests)})`;

  const live = await deps.sql.query<{ filename: string; batch_id: string; rows: number }>(
    { name: 'compact_live_files', text: `SELECT filename, batch_id, count(*)::BIGINT AS rows FROM ${visible} GROUP BY ALL` },
  );
  const liveNames = new Set(live.map((r) => r.filename.replace(/^.*\//, '')));
  const liveFiles = files.filter((f) => liveNames.has(f.name));
  // A file readers do not see is a compacted file whose manifest was never written (a compaction killed before
  // publishing) or a file a manifest replaced (killed before deleting it): either way, only deleted.
  const superseded = files.filter((f) => !liveNames.has(f.name));
  if (liveFiles.length === 0 && superseded.length === 0) return undefined;
  const generationOf = (f: PartitionFile) => COMPACT_FILE.exec(f.name)?.[1] ?? '';
  const liveBytes = liveFiles.reduce((n, f) => n + f.size, 0);
  const wanted = Math.max(1, Math.ceil(liveBytes / targetBytes));
  const generations = new Set(liveFiles.map(generationOf));
  // Files of one compaction and nothing since: done (their bytes shrink when rewritten, so a size test would
  // rewrite them again and again; a partition compacted at a smaller target is not split later).
  const oneCompaction = generations.size === 1 && !generations.has('');
  const needsRewrite = liveFiles.length > 1 && !oneCompaction;

  if (!needsRewrite) {
    if (superseded.length === 0) return undefined;
    for (const f of superseded) await deps.objects.delete(f.key);
    deps.progress(`${partition}: removed ${superseded.length} superseded files`);
    return { partition, files_before: liveFiles.length + superseded.length, files_after: liveFiles.length, bytes_before: liveBytes, rows: live.reduce((n, r) => n + Number(r.rows), 0), removed_superseded: superseded.length };
  }

  // Whole batches per output file (so each file's publish is atomic for the batches it holds), balanced by rows.
  const rowsByBatch = new Map<string, number>();
  for (const r of live) rowsByBatch.set(r.batch_id, (rowsByBatch.get(r.batch_id) ?? 0) + Number(r.rows));
  const bins: { rows: number; batches: string[] }[] = Array.from({ length: Math.min(wanted, rowsByBatch.size) }, () => ({ rows: 0, batches: [] }));
  for (const [batch, rows] of [...rowsByBatch].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    const bin = bins.reduce((least, b) => (b.rows < least.rows ? b : least));
    bin.rows += rows;
    bin.batches.push(batch);
  }
  const generation = nextGeneration(all);
  const folder = Layout.curatedEvents + partition;
  const added: string[] = [];
  for (const [i, bin] of bins.entries()) {
    const target = `${folder}compact-${generation}-${i}.parquet`;
    // Written outside curated/events/ (no reader's glob matches it), then renamed into the partition, where
    // readers still ignore it until the manifest below exists.
    const temp = `${COMPACT_STAGING}${partition}compact-${generation}-${i}.parquet`;
    // DuckDB's COPY creates no folder (local runtime only: the AWS side compacts with Athena OPTIMIZE, state-machines/compaction.asl.json).
    await mkdir(dirname(deps.objects.uri(temp)), { recursive: true });
    // The columns as the merge writes them (partition columns live in the path), same order, same sort.
    await deps.sql.run({
      name: 'compact_partition',
      text:
        `COPY (SELECT * EXCLUDE (filename, event_type, event_date) FROM ${visible} ` +
        `WHERE batch_id IN (${bin.batches.map(batchLiteral).join(', ')}) ` +
        `ORDER BY event_type, event_date, created_at, event_uuid) TO ${sqlPathLiteral(deps.objects.uri(temp))} (FORMAT parquet)`,
    });
    await deps.objects.move(temp, target);
    added.push(target);
  }
  // Publish: one atomic put; from here readers take these batches from the new files and none from the old.
  const manifest: CompactionManifest = { adds: added, removes: liveFiles.map((f) => f.key) };
  await deps.objects.put(manifestKey(partition, generation), JSON.stringify(manifest));
  // The old files are invisible now: delete them, then the manifests of older generations (what they added or
  // removed is gone; a manifest left by a kill here names missing files, which is harmless).
  for (const f of [...liveFiles, ...superseded]) await deps.objects.delete(f.key);
  for await (const info of deps.objects.list(`${COMPACTIONS}${partition}`)) {
    if (info.key !== manifestKey(partition, generation)) await deps.objects.delete(info.key);
  }
  const rows = live.reduce((n, r) => n + Number(r.rows), 0);
  deps.progress(`${partition}: ${files.length} files -> ${bins.length} (${rows} rows)`);
  return { partition, files_before: liveFiles.length + superseded.length, files_after: bins.length, bytes_before: liveBytes, rows, removed_superseded: superseded.length };
}
