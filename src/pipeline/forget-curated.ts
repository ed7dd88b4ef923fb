import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Layout } from '../ports/layout';
import { hasObject } from '../ports/object-store';
import { sqlPathLiteral } from '../sql/render';
import {
  COMPACT_STAGING,
  COMPACTIONS,
  curatedPartitions,
  manifestKey,
  nextGeneration,
  visibleFiles,
  type CompactionManifest,
} from './compact';
import type { PipelineDeps } from './deps';

export interface CuratedErasure {
  readonly rows: number;
  readonly partitions: number;
}

const HIVE = `hive_partitioning = true, hive_types = {'event_type': VARCHAR, 'event_date': DATE}`;

/**
 * Removes one user's rows from the local curated table, rewriting only the files that hold them, partition
 * by partition, with compaction's protocol (src/pipeline/compact.ts, docs/operations.md#compaction): each
 * affected file is rewritten without the user's rows into `compact-<generation>-<i>.parquet` (none when
 * nothing else is left), then ONE manifest `{adds, removes}` per partition publishes the new files and retires
 * the old ones at once, so a reader sees the partition before or after, never missing or doubled rows. Files
 * without the user's rows, and every other partition, are not touched. Older manifests stay (their other
 * files are still live through them). Callers hold the run lease.
 *
 * Resumable: a kill before a partition's manifest leaves unpublished files readers ignore (compaction
 * deletes them later) and the user's rows still visible, so the next forget redoes that partition; a kill
 * after it leaves retired files that still hold the user's rows but that no reader sees: they are deleted.
 */
export async function forgetCurated(
  deps: PipelineDeps,
  userUuid: string,
  afterPartition?: (partition: string, rows: number) => Promise<void> | void,
): Promise<CuratedErasure> {
  // What a killed compaction or forget was still writing: never published, so never read.
  for await (const info of deps.objects.list(COMPACT_STAGING)) await deps.objects.delete(info.key);
  if (!(await hasObject(deps.objects, Layout.curatedEvents, '.parquet'))) return { rows: 0, partitions: 0 };
  const root = deps.objects.uri('').replace(/\/$/, '');
  const glob = sqlPathLiteral(`${root}/${Layout.curatedEvents}event_type=*/event_date=*/*.parquet`);
  const visible = visibleFiles(root, await hasObject(deps.objects, COMPACTIONS, '.json'));
  // One scan of the table for the user's rows: which files hold them, and whether readers see those files.
  const found = await deps.sql.query<{ filename: string; visible: boolean; rows: number }>(
    {
      name: 'forget_user_files',
      text: `SELECT filename, (${visible}) AS visible, count(*)::BIGINT AS rows FROM read_parquet(${glob}, ${HIVE}, filename = true) WHERE user_uuid = ? GROUP BY ALL ORDER BY filename`,
    },
    [userUuid],
  );
  if (found.length === 0) return { rows: 0, partitions: 0 };
  const byPartition = new Map<string, { key: string; visible: boolean; rows: number }[]>();
  for (const f of found) {
    const key = f.filename.slice(root.length + 1);
    const partition = key.slice(Layout.curatedEvents.length, key.lastIndexOf('/') + 1);
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), { key, visible: f.visible, rows: Number(f.rows) }]);
  }
  const all = await curatedPartitions(deps);
  let rows = 0;
  let partitions = 0;
  for (const [partition, files] of [...byPartition].sort(([a], [b]) => a.localeCompare(b))) {
    const live = files.filter((f) => f.visible);
    if (live.length > 0) {
      const generation = nextGeneration(all.get(partition) ?? []);
      const adds: string[] = [];
      for (const [i, file] of live.entries()) {
        const source = `read_parquet(${sqlPathLiteral(deps.objects.uri(file.key))}, ${HIVE})`;
        const [left] = await deps.sql.query<{ n: number }>(
          { name: 'forget_rows_left', text: `SELECT count(*)::BIGINT AS n FROM ${source} WHERE user_uuid IS DISTINCT FROM ?` },
          [userUuid],
        );
        if (Number(left?.n ?? 0) === 0) continue;
        const target = `${Layout.curatedEvents}${partition}compact-${generation}-${i}.parquet`;
        // Written outside curated/events/ (no reader's glob matches it), then renamed into the partition, where
        // readers still ignore it until the manifest below exists (as compact does).
        const temp = `${COMPACT_STAGING}${partition}compact-${generation}-${i}.parquet`;
        await mkdir(dirname(deps.objects.uri(temp)), { recursive: true });
        // The columns as the merge writes them (partition columns live in the path), same order, same sort.
        await deps.sql.run(
          {
            name: 'forget_rewrite_file',
            text:
              `COPY (SELECT * EXCLUDE (event_type, event_date) FROM ${source} WHERE user_uuid IS DISTINCT FROM ? ` +
              `ORDER BY event_type, event_date, created_at, event_uuid) TO ${sqlPathLiteral(deps.objects.uri(temp))} (FORMAT parquet)`,
          },
          [userUuid],
        );
        await deps.objects.move(temp, target);
        adds.push(target);
      }
      // Publish: one atomic put retires every affected file of the partition and adds its rewrite.
      const manifest: CompactionManifest = { adds, removes: live.map((f) => f.key) };
      await deps.objects.put(manifestKey(partition, generation), JSON.stringify(manifest));
      const removed = live.reduce((n, f) => n + f.rows, 0);
      rows += removed;
      partitions += 1;
      deps.progress(`${partition}: removed ${removed} rows (${live.length} files rewritten)`);
    }
    // Retired now (or already by an earlier, killed forget or compaction): readers no longer see them.
    for (const f of files) await deps.objects.delete(f.key);
    await afterPartition?.(partition, rows);
  }
  return { rows, partitions };
}
