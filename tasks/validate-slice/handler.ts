import type { PipelineDeps } from '../../src/pipeline/deps';
import { validateSlice, type SliceValidation } from '../../src/pipeline/validate-slice';
import { parseTaskInput, sliceRefSchema } from '../_shared/input';
import { sliceRefOf } from '../_shared/slice-ref';

/** ValidateSlice (one Map iteration): parse, validate, quarantine, apply user state, stage. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<SliceValidation> => {
    const { input } = parseTaskInput('ValidateSlice', sliceRefSchema, event);
    return validateSlice(deps, sliceRefOf(input));
  };
}
