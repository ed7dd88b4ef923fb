import { object } from 'yup';
import { dedupBatch, type DedupResult } from '../../src/pipeline/dedup-batch';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { batchSchema, parseTaskInput } from '../_shared/input';

const schema = object({ state: object({ batch: batchSchema.required() }).required() });

/** DedupBatch: classifies staged rows in SQL and plans the merge groups. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<DedupResult> => {
    const { batch } = parseTaskInput('DedupBatch', schema, event).state;
    return dedupBatch(deps, batch.batch_id, batch.manifest_key);
  };
}
