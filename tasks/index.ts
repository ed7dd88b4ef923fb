import type { TaskName } from '../src/workflow/registry';
import { createHandler as acquireLease } from './acquire-lease/handler';
import { createHandler as beginForget } from './begin-forget/handler';
import { createHandler as commitBatch } from './commit-batch/handler';
import { createHandler as dedupBatch } from './dedup-batch/handler';
import { createHandler as enrichSlice } from './enrich-slice/handler';
import { createHandler as finishCompaction } from './finish-compaction/handler';
import { createHandler as finishForget } from './finish-forget/handler';
import { createHandler as planBatch } from './plan-batch/handler';
import { createHandler as planCompaction } from './plan-compaction/handler';
import { createHandler as pruneStaging } from './prune-staging/handler';
import { createHandler as releaseLease } from './release-lease/handler';
import { createHandler as summarizeSlices } from './summarize-slices/handler';
import { createHandler as validateSlice } from './validate-slice/handler';
import { createHandler as verifyBatch } from './verify-batch/handler';
import type { TaskFactory } from './_shared/task';

export type { TaskFactory, TaskHandler } from './_shared/task';

/**
 * Every task's handler factory, by registry task name, for the local runtime (which runs them all in one
 * process). A Lambda takes its own factory from its own tasks/<task>/lambda.ts instead, never this map.
 */
export const TASK_FACTORIES: Readonly<Record<TaskName, TaskFactory>> = {
  'acquire-lease': acquireLease,
  'plan-batch': planBatch,
  'validate-slice': validateSlice,
  'enrich-slice': enrichSlice,
  'summarize-slices': summarizeSlices,
  'dedup-batch': dedupBatch,
  'verify-batch': verifyBatch,
  'commit-batch': commitBatch,
  'release-lease': releaseLease,
  'plan-compaction': planCompaction,
  'prune-staging': pruneStaging,
  'finish-compaction': finishCompaction,
  'begin-forget': beginForget,
  'finish-forget': finishForget,
};
