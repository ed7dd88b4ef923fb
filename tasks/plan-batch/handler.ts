import { object } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { planBatch, type BatchPlan } from '../../src/pipeline/plan-batch';
import { parseRunInput } from '../../src/pipeline/run-input';
import { parseTaskInput } from '../_shared/input';

/**
 * The execution's input (`$$.Execution.Input`, from the context object:
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html): nothing else of the state.
 */
const schema = object({ run: object().required() });

/** PlanBatch: freezes the list of raw objects into a manifest and returns pointers and counts. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<BatchPlan> => {
    const input = parseTaskInput('PlanBatch', schema, event);
    return planBatch(deps, parseRunInput(input.run));
  };
}
