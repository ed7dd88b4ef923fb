import { InvalidInputError } from '../errors';
import type { SqlRow } from '../ports/sql-engine';
import { classifyBatch } from '../pipeline/dedup-batch';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from '../pipeline/deps';
import { rewriteParquetWithoutUser } from '../pipeline/forget-staging';
import { mergeGroup } from '../pipeline/merge-group';
import { renderSql } from '../sql/render';
import type { RecognizedStatement } from '../workflow/athena-state-query';

const text = (value: unknown, what: string): string => {
  if (typeof value !== 'string') throw new InvalidInputError(`${what} must be a string, got ${JSON.stringify(value)}`);
  return value;
};
const int = (value: unknown, what: string): number => {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidInputError(`${what} must be an integer, got ${JSON.stringify(value)}`);
  return value;
};

/**
 * Runs one of our Athena statements (recognised from its text) as its DuckDB counterpart over `deps`
 * (a DuckDB PipelineDeps): what the local runtime does for the native Athena states, and what the offline
 * AWS proof's Athena fake does for every query. Each statement keeps its Athena meaning: ClearClassified
 * empties the batch's classification, MERGE writes the group's new rows to `deps.sources.mergeTarget`.
 */
export async function runAthenaTwin(deps: PipelineDeps, statement: RecognizedStatement): Promise<SqlRow[]> {
  const p = statement.params;
  switch (statement.name) {
    case 'compaction_partitions':
      return deps.sql.query(renderSql(deps.dialect, statement.name, { compaction_source: await deps.sources.curatedSource() }), p);
    case 'forget_curated_counts':
      return deps.sql.query(renderSql(deps.dialect, statement.name, { curated_source: await deps.sources.curatedSource() }), p);
    case 'forget_curated_rows':
      // Iceberg's DELETE as the twin's files hold it: each data file with the user's rows rewritten without them.
      return [{ rows: await deleteUserRows(deps, Layout.curatedEvents, (key) => key.endsWith('.parquet'), text(p[0], 'forget_curated_rows: user_uuid')) }];
    case 'forget_classified_rows':
      return [{ rows: await deleteUserRows(deps, 'staging/batches/', (key) => key.endsWith('/classified.parquet'), text(p[0], 'forget_classified_rows: user_uuid')) }];
    case 'optimize_partition':
    case 'vacuum_events':
    case 'vacuum_classified':
      // Athena's table maintenance changes files, never rows: the twin's rows stay as they are.
      return [];
  }
  const batchId = text(p[0], `${statement.name}: batch_id`);
  switch (statement.name) {
    case 'clear_classified':
      await deps.objects.delete(Layout.classified(batchId));
      return [];
    case 'classify_batch':
      await classifyBatch(deps, {
        batchId,
        horizonFrom: text(p[1], 'classify_batch: date_from'),
        horizonTo: text(p[2], 'classify_batch: date_to'),
        maxPartitionsPerMerge: int(p[4], 'classify_batch: max_partitions_per_merge'),
        plannedAt: text(p[6], 'classify_batch: ingested_at'),
      });
      return [];
    case 'merge_group':
      await mergeGroup(deps, batchId, {
        group: int(p[1], 'merge_group: group'),
        type_min: text(p[2], 'merge_group: type_min'),
        type_max: text(p[3], 'merge_group: type_max'),
        date_min: text(p[4], 'merge_group: date_min'),
        date_max: text(p[5], 'merge_group: date_max'),
      });
      return [];
    case 'classified_counts':
    case 'classified_groups':
    case 'classified_conflicts':
    case 'classified_outcomes':
      return deps.sql.query(renderSql(deps.dialect, statement.name, { classified_source: deps.sources.classifiedSource(batchId) }), p);
    case 'count_batch_rows':
      return deps.sql.query(renderSql(deps.dialect, statement.name, { batch_rows_source: await deps.sources.batchRowsSource(batchId) }), p);
    default:
      throw new InvalidInputError(`no DuckDB counterpart for Athena statement ${statement.name}`);
  }
}

/** The user's rows removed from every Parquet object under `prefix` that `pick` selects; answers how many. */
async function deleteUserRows(deps: PipelineDeps, prefix: string, pick: (key: string) => boolean, userUuid: string): Promise<number> {
  const keys: string[] = [];
  for await (const info of deps.objects.list(prefix)) if (pick(info.key)) keys.push(info.key);
  let removed = 0;
  for (const key of keys) removed += await rewriteParquetWithoutUser(deps, key, userUuid);
  return removed;
}
