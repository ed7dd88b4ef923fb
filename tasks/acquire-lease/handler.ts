import { object, string } from 'yup';
import { acquireLease, type LeaseOutcome } from '../../src/pipeline/lease';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { parseRunInput } from '../../src/pipeline/run-input';
import { parseTaskInput } from '../_shared/input';

/**
 * The execution's name (`$$.Execution.Name`) and, from the micro-batch, its input (`$$.Execution.Input`, a
 * run input checked here): nothing else of the state. Both come from the context object Step Functions gives
 * every state (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html). The
 * compaction state machine sends the name only: it takes the same lease, so it never overlaps a run.
 */
const schema = object({ run: object().optional().default(undefined), execution: string().required() });

/** AcquireLease: the execution name owns the lease; a held lease makes the run end as skipped. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<LeaseOutcome> => {
    const input = parseTaskInput('AcquireLease', schema, event);
    if (input.run !== undefined) parseRunInput(input.run);
    return acquireLease(deps, input.execution);
  };
}
