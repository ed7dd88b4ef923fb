import type { PipelineDeps } from '../../src/pipeline/deps';
import { summarizeSlices, type BatchTotals } from '../../src/pipeline/summarize-slices';
import { batchRefSchema, parseTaskInput } from '../_shared/input';

/**
 * SummarizeSlices: adds up the slices' result objects into fixed-size batch totals and the dedup horizon, and
 * drops the lesson parts EnrichSlices has replaced by enriched ones.
 */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<BatchTotals> => {
    const { batch_id } = parseTaskInput('SummarizeSlices', batchRefSchema, event);
    return summarizeSlices(deps, batch_id);
  };
}
