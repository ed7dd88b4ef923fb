import { mixed, object, string } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { finishForgetExecution, type ForgetBegun, type ForgetSummary } from '../../src/pipeline/forget-execution';
import { leaseOutcomeSchema } from '../../src/pipeline/payloads';
import { parseTaskInput } from '../_shared/input';

/** The lease, BeginForget's result when it was reached, or the caught error: nothing else of the state. */
const schema = object({
  lease: leaseOutcomeSchema.required(),
  forget: mixed<ForgetBegun>().optional(),
  error: object({ Error: string().required(), Cause: string().defined() }).optional().default(undefined),
});

/** FinishForget / ReleaseLeaseAfterFailure of the forget state machine: quarantine, user state, the record, the lease. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<ForgetSummary> => {
    const state = parseTaskInput('FinishForget', schema, event);
    return finishForgetExecution(deps, { owner: state.lease.owner, begun: state.forget, error: state.error });
  };
}
