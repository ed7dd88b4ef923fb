import { object } from 'yup';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { planCompaction, type CompactionPlan } from '../../src/pipeline/compaction';
import { parseTaskInput } from '../_shared/input';

/** The execution's input (`$$.Execution.Input`, from the context object), validated by planCompaction. */
const schema = object({ run: object().required() });

/** PlanCompaction: the days, their curated partitions, and the committed batches whose staging to prune. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<CompactionPlan> => {
    const input = parseTaskInput('PlanCompaction', schema, event);
    return planCompaction(deps, input.run);
  };
}
