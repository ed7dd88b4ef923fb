import { renderSql } from '../sql/render';
import type { PipelineDeps } from './deps';

/**
 * The local counterpart of the MergeGroup Athena state: runs sql/<dialect>/merge_group.sql for one group.
 * On AWS Step Functions runs the Athena text itself (athena:startQueryExecution.sync).
 */
export async function mergeGroup(deps: PipelineDeps, batchId: string, group: number): Promise<void> {
  await deps.sql.run(
    renderSql(deps.dialect, 'merge_group', {
      classified_source: deps.sources.classifiedSource(batchId),
      merge_target: deps.sources.mergeTarget(batchId, group),
    }),
    [batchId, group],
  );
  deps.progress(`merged group ${group}`);
}
