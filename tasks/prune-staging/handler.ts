import { array, object, string } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { pruneStaging, type PruneResult } from '../../src/pipeline/compaction';
import { parseTaskInput } from '../_shared/input';

/** The plan's committed batches (`"batch_ids.$": "$.plan.prune"`): nothing else of the state. */
const schema = object({ batch_ids: array(string().required()).required() });

/** PruneStaging: deletes the staging of committed batches, each checked against its committed marker again. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<PruneResult> => {
    const input = parseTaskInput('PruneStaging', schema, event);
    return pruneStaging(deps, input.batch_ids);
  };
}
