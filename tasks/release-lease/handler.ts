import { mixed, object, string } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { releaseLease } from '../../src/pipeline/lease';
import { BATCH_MODES } from '../../src/ports/orchestrator';
import { emptySummary, type RunSummary } from '../../src/pipeline/run-summary';
import { leaseSchema, parseTaskInput } from '../_shared/input';

const schema = object({
  state: object({
    mode: string().oneOf(BATCH_MODES).required(),
    lease: leaseSchema.required(),
    commit: mixed<RunSummary>().optional(),
    error: object({ Error: string().required(), Cause: string().defined() }).optional().default(undefined),
  }).required(),
});

/** ReleaseLease (success and failure paths): frees the lease and returns the run summary. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<RunSummary> => {
    const state = parseTaskInput('ReleaseLease', schema, event).state;
    await releaseLease(deps, state.lease.owner);
    if (state.commit) return state.commit;
    return emptySummary(state.error ? 'failed' : 'nothing_to_do', state.mode);
  };
}
