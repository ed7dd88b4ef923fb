import { object, string } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { beginForgetExecution, type ForgetBegun } from '../../src/pipeline/forget-execution';
import { parseTaskInput } from '../_shared/input';

/** The execution's input `{"user": "<uuid>"}` (validated as a UUID by the core). */
const schema = object({ user: string().required() });

/** BeginForget of the forget state machine: validate the id, write the erasure record, count the curated rows. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<ForgetBegun> => {
    const input = parseTaskInput('BeginForget', schema, event);
    return beginForgetExecution(deps, input.user);
  };
}
