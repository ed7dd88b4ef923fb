import type { PipelineDeps } from '../../src/pipeline/deps';

/** One invocation of a task: the state's input in, the state's result out. */
export type TaskHandler = (event: unknown) => Promise<unknown>;

/** What each tasks/<task>/handler.ts exports as `createHandler`: the task over one process's deps. */
export type TaskFactory = (deps: PipelineDeps) => TaskHandler;
