import { mixed, object, string } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { releaseLease } from '../../src/pipeline/lease';
import { BATCH_MODES } from '../../src/ports/orchestrator';
import { emptySummary, type RunSummary } from '../../src/pipeline/run-summary';
import { leaseOutcomeSchema } from '../../src/pipeline/payloads';
import { parseTaskInput } from '../_shared/input';

/**
 * The run's mode, the lease and either the commit's summary (ReleaseLease; `{status: 'nothing_to_do'}` from
 * the NothingToDo Pass state's `Result` when there was no object:
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-pass.html) or the caught error (ReleaseLeaseAfterFailure):
 * nothing else of the state.
 */
const schema = object({
  mode: string().oneOf(BATCH_MODES).required(),
  lease: leaseOutcomeSchema.required(),
  commit: mixed<RunSummary | { status: 'nothing_to_do' }>().optional(),
  error: object({ Error: string().required(), Cause: string().defined() }).optional().default(undefined),
});

/** ReleaseLease (success and failure paths): frees the lease and returns the run summary. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<RunSummary> => {
    const state = parseTaskInput('ReleaseLease', schema, event);
    await releaseLease(deps, state.lease.owner);
    if (state.commit?.status === 'committed') return state.commit;
    return emptySummary(state.error ? 'failed' : 'nothing_to_do', state.mode);
  };
}
