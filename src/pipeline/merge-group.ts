import { renderSql } from '../sql/render';
import type { MergeGroupRef } from './dedup-batch';
import type { PipelineDeps } from './deps';

/**
 * The local counterpart of the MergeGroup Athena state: runs sql/<dialect>/merge_group.sql for one group,
 * with the same values (batch, group, partition bounds) the state formats into the Athena MERGE.
 */
export async function mergeGroup(deps: PipelineDeps, batchId: string, ref: MergeGroupRef): Promise<void> {
  await deps.sql.run(
    renderSql(deps.dialect, 'merge_group', {
      classified_source: deps.sources.classifiedSource(batchId),
      merge_target: deps.sources.mergeTarget(batchId, ref.group),
    }),
    [batchId, ref.group, ref.type_min, ref.type_max, ref.date_min, ref.date_max],
  );
  deps.progress(`merged group ${ref.group}`);
}
