import { object } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { verifyBatch } from '../../src/pipeline/verify-batch';
import { batchSchema, dedupSchema, parseTaskInput, totalsSchema } from '../_shared/input';

const schema = object({
  state: object({
    batch: batchSchema.required(),
    totals: totalsSchema.required(),
    dedup: dedupSchema.required(),
  }).required(),
});

/** VerifyBatch: the conservation law, from what was written; fails the run when it does not hold. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<RunSummary> => {
    const { batch, totals, dedup } = parseTaskInput('VerifyBatch', schema, event).state;
    return verifyBatch(deps, { batchId: batch.batch_id, mode: batch.mode, resumed: batch.resumed, backlogObjects: batch.backlog_objects, nextAfter: batch.next_after, totals, dedup });
  };
}
