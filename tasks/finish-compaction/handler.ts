import { mixed, object, string } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { finishCompaction, type CompactionPlan, type CompactionSummary, type PruneResult } from '../../src/pipeline/compaction';
import { leaseOutcomeSchema } from '../../src/pipeline/payloads';
import { parseTaskInput } from '../_shared/input';

/** The lease, the plan and the pruning when they were reached, or the caught error: nothing else of the state. */
const schema = object({
  lease: leaseOutcomeSchema.required(),
  plan: mixed<CompactionPlan>().optional(),
  pruned: mixed<PruneResult>().optional(),
  error: object({ Error: string().required(), Cause: string().defined() }).optional().default(undefined),
});

/** ReleaseLease / ReleaseLeaseAfterFailure of the compaction: frees the run lease and sums the execution up. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<CompactionSummary> => {
    const state = parseTaskInput('FinishCompaction', schema, event);
    return finishCompaction(deps, { owner: state.lease.owner, plan: state.plan, pruned: state.pruned, error: state.error });
  };
}
