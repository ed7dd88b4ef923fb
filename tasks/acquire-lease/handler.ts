import { object, string } from 'yup';
import { acquireLease, type LeaseOutcome } from '../../src/pipeline/lease';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { parseRunInput } from '../../src/pipeline/run-input';
import { parseTaskInput } from '../_shared/input';

/**
 * The execution's input (`$$.Execution.Input`) and name (`$$.Execution.Name`): nothing else of the state. Both
 * come from the context object Step Functions gives every state
 * (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
 */
const schema = object({ run: object().required(), execution: string().required() });

/** AcquireLease: the execution name owns the lease; a held lease makes the run end as skipped. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<LeaseOutcome> => {
    const input = parseTaskInput('AcquireLease', schema, event);
    parseRunInput(input.run);
    return acquireLease(deps, input.execution);
  };
}
