import { dedupBatch, type DedupResult } from '../../src/pipeline/dedup-batch';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { batchRefSchema, parseTaskInput } from '../_shared/input';

/** DedupBatch: reads the batch's classification (counts, merge groups) and quarantines its conflicts. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<DedupResult> => {
    const { batch_id } = parseTaskInput('DedupBatch', batchRefSchema, event);
    return dedupBatch(deps, batch_id);
  };
}
