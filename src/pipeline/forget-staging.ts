import { sqlPathLiteral } from '../sql/render';
import type { PipelineDeps } from './deps';

/** Staging's root: manifests, staged rows, lessons, spilled state versions, classified rows (src/ports/layout.ts). */
const STAGING = 'staging/';
const TEMP_SUFFIX = '.forget.parquet';

/**
 * Removes one user's rows from what committed batches left in staging/ (locally nothing expires it; on AWS a
 * lifecycle rule does): NDJSON lines that name the user id (staged rows, lessons, spilled state versions:
 * machine-written JSON with the lower-case id) and the classified rows (Parquet) of the user. Callers refuse
 * to run while a batch is pending, so no batch still needs these rows. Each object is replaced whole (one
 * atomic put, or a rename for Parquet); an object without the user is not touched. Answers the rows removed.
 */
export async function forgetStaging(deps: PipelineDeps, userUuid: string): Promise<number> {
  let removed = 0;
  const keys: string[] = [];
  for await (const info of deps.objects.list(STAGING)) keys.push(info.key);
  for (const key of keys) {
    if (key.endsWith(TEMP_SUFFIX)) {
      // Left by a killed forget before its rename: the original is still whole.
      await deps.objects.delete(key);
    } else if (key.endsWith('.ndjson')) {
      const text = (await deps.objects.get(key)).toString('utf8');
      if (!text.includes(userUuid)) continue;
      const lines = text.split('\n');
      const kept = lines.filter((line) => !line.includes(userUuid));
      removed += lines.length - kept.length;
      await deps.objects.put(key, kept.join('\n'));
    } else if (key.endsWith('.parquet')) {
      removed += await rewriteParquetWithoutUser(deps, key, userUuid);
    }
  }
  if (removed > 0) deps.progress(`staging: removed ${removed} rows of committed batches`);
  return removed;
}

/**
 * Rewrites one Parquet object without the user's rows (DuckDB: a copy, then an atomic rename over it); an
 * object without them is not touched. Answers the rows removed.
 */
export async function rewriteParquetWithoutUser(deps: PipelineDeps, key: string, userUuid: string): Promise<number> {
  const file = sqlPathLiteral(deps.objects.uri(key));
  const [found] = await deps.sql.query<{ n: number }>(
    { name: 'forget_staged_rows', text: `SELECT count(*)::BIGINT AS n FROM read_parquet(${file}) WHERE user_uuid = ?` },
    [userUuid],
  );
  const n = Number(found?.n ?? 0);
  if (n === 0) return 0;
  const temp = `${key}${TEMP_SUFFIX}`;
  await deps.sql.run(
    { name: 'forget_staged_file', text: `COPY (SELECT * FROM read_parquet(${file}) WHERE user_uuid IS DISTINCT FROM ?) TO ${sqlPathLiteral(deps.objects.uri(temp))} (FORMAT parquet)` },
    [userUuid],
  );
  await deps.objects.move(temp, key);
  return n;
}
