import { object } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { verifyBatch } from '../../src/pipeline/verify-batch';
import { batchPlanSchema, batchTotalsSchema, dedupResultSchema } from '../../src/pipeline/payloads';
import { parseTaskInput } from '../_shared/input';

/** The plan, the slices' totals and the dedup counts: nothing else of the state. */
const schema = object({
  batch: batchPlanSchema.required(),
  totals: batchTotalsSchema.required(),
  dedup: dedupResultSchema.required(),
});

/** VerifyBatch: the conservation law, from what was written; fails the run when it does not hold. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<RunSummary> => {
    const { batch, totals, dedup } = parseTaskInput('VerifyBatch', schema, event);
    return verifyBatch(deps, { batchId: batch.batch_id, mode: batch.mode, resumed: batch.resumed, backlogObjects: batch.backlog_objects, nextAfter: batch.next_after, totals, dedup });
  };
}
