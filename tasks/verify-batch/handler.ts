import { array, object } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { verifyBatch } from '../../src/pipeline/verify-batch';
import { batchSchema, dedupSchema, parseTaskInput, sliceValidationSchema } from '../_shared/input';

const schema = object({
  state: object({
    batch: batchSchema.required(),
    validation: object({ slices: array(sliceValidationSchema.required()).required() }).required(),
    dedup: dedupSchema.required(),
  }).required(),
});

/** VerifyBatch: the conservation law, from what was written; fails the run when it does not hold. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<RunSummary> => {
    const { batch, validation, dedup } = parseTaskInput('VerifyBatch', schema, event).state;
    return verifyBatch(deps, { batchId: batch.batch_id, mode: batch.mode, resumed: batch.resumed, slices: validation.slices, dedup });
  };
}
