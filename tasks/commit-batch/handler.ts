import { object, mixed } from 'yup';
import { commitBatch } from '../../src/pipeline/commit-batch';
import type { PipelineDeps } from '../../src/pipeline/deps';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { batchPlanSchema } from '../../src/pipeline/payloads';
import { parseTaskInput } from '../_shared/input';

/** The plan and the verified summary: nothing else of the state. */
const schema = object({ batch: batchPlanSchema.required(), verify: mixed<RunSummary>().required() });

/** CommitBatch: publish, then advance the checkpoint by compare-and-set. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<RunSummary> => {
    const { batch, verify } = parseTaskInput('CommitBatch', schema, event);
    return commitBatch(deps, {
      batchId: batch.batch_id,
      mode: batch.mode,
      checkpointVersion: batch.checkpoint_version,
      summary: verify,
    });
  };
}
