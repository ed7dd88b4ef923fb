import { Layout } from '../ports/layout';
import { hasObject, type ObjectStore } from '../ports/object-store';
import { sqlPathLiteral } from '../sql/render';

/**
 * The batch ids readers may see, as a DuckDB subquery over the lake's files: those with a committed marker
 * (Layout.committedMarker) and, for lakes written before markers existed, those with a run summary (written
 * after the checkpoint moved). The local views and compaction filter on the same set; the SQL text stays
 * small however many batches the lake holds.
 */
export async function committedBatchesSql(objects: ObjectStore): Promise<string> {
  const root = objects.uri('').replace(/\/$/, '');
  const globs: string[] = [];
  if (await hasObject(objects, Layout.committedPrefix, '.json')) globs.push(`${root}/${Layout.committedPrefix}*.json`);
  if (await hasObject(objects, 'runs/', '.json')) globs.push(`${root}/runs/*.json`);
  if (globs.length === 0) return '(SELECT CAST(NULL AS VARCHAR) AS batch_id WHERE false)';
  return `(SELECT batch_id FROM read_json([${globs.map(sqlPathLiteral).join(', ')}], columns = {batch_id: 'VARCHAR'}, format = 'auto'))`;
}

/** Batch ids with a committed marker or (older lakes) a run summary: what the readers' views show. */
export async function committedBatchIds(objects: ObjectStore): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const prefix of [Layout.committedPrefix, 'runs/']) {
    for await (const info of objects.list(prefix)) {
      const match = /([^/]+)\.json$/.exec(info.key);
      const id = match?.[1];
      if (id !== undefined && /^[0-9a-f]+$/.test(id)) ids.add(id);
    }
  }
  return ids;
}
