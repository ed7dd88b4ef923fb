import { object, mixed } from 'yup';
import { commitBatch } from '../../src/pipeline/commit-batch';
import type { PipelineDeps } from '../../src/pipeline/deps';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { batchSchema, parseTaskInput } from '../_shared/input';

const schema = object({
  state: object({ batch: batchSchema.required(), verify: mixed<RunSummary>().required() }).required(),
});

/** CommitBatch: publish, then advance the checkpoint by compare-and-set. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<RunSummary> => {
    const { batch, verify } = parseTaskInput('CommitBatch', schema, event).state;
    return commitBatch(deps, {
      batchId: batch.batch_id,
      mode: batch.mode,
      checkpointVersion: batch.checkpoint_version,
      summary: verify,
    });
  };
}
