import type { PipelineDeps } from '../pipeline/deps';
import { createHandler as acquireLease } from '../../tasks/acquire-lease/handler';
import { createHandler as commitBatch } from '../../tasks/commit-batch/handler';
import { createHandler as dedupBatch } from '../../tasks/dedup-batch/handler';
import { createHandler as enrichSlice } from '../../tasks/enrich-slice/handler';
import { createHandler as planBatch } from '../../tasks/plan-batch/handler';
import { createHandler as releaseLease } from '../../tasks/release-lease/handler';
import { createHandler as summarizeSlices } from '../../tasks/summarize-slices/handler';
import { createHandler as validateSlice } from '../../tasks/validate-slice/handler';
import { createHandler as verifyBatch } from '../../tasks/verify-batch/handler';
import type { TaskName } from './registry';

export type TaskHandler = (event: unknown) => Promise<unknown>;

/** Every task's handler factory, by registry task name (the Lambda entry points wrap the same factories). */
export const TASK_FACTORIES: Readonly<Record<TaskName, (deps: PipelineDeps) => TaskHandler>> = {
  'acquire-lease': acquireLease,
  'plan-batch': planBatch,
  'validate-slice': validateSlice,
  'enrich-slice': enrichSlice,
  'summarize-slices': summarizeSlices,
  'dedup-batch': dedupBatch,
  'verify-batch': verifyBatch,
  'commit-batch': commitBatch,
  'release-lease': releaseLease,
};
