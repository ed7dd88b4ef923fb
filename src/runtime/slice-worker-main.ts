import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from '../errors';
import { systemClock } from '../ports/clock';
import type { SqlEngine } from '../ports/sql-engine';
import type { PipelineConfig } from '../pipeline/config';
import type { PipelineDeps } from '../pipeline/deps';
import { openLocalStores } from './local-stores';
import { TASK_FACTORIES, type TaskHandler } from '../../tasks/index';
import type { SliceTaskName, SliceWorkerTestHooks, WorkerReply, WorkerRequest } from './worker-pool';

/** Slice tasks never touch SQL; a call here is a bug worth a loud error. */
const noSql: SqlEngine = {
  run: () => Promise.reject(new ConfigError('SQL is not available in a slice worker')),
  query: () => Promise.reject(new ConfigError('SQL is not available in a slice worker')),
  close: () => Promise.resolve(),
};

async function start(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('slice-worker-main must run in a worker thread');
  const { root, config, testHooks } = workerData as { root: string; config: PipelineConfig; testHooks?: SliceWorkerTestHooks };
  // Its own handles on the lake folder: the state store catches up from the shared log on every call.
  const { objects, state, sources } = await openLocalStores(root, config.dedupHorizonDays);
  const deps: PipelineDeps = {
    objects,
    state,
    sql: noSql,
    dialect: 'duckdb',
    sources,
    clock: systemClock,
    config,
    progress: (message) => port.postMessage({ progress: message } satisfies WorkerReply),
  };
  const handlers: Record<SliceTaskName, TaskHandler> = {
    'validate-slice': TASK_FACTORIES['validate-slice'](deps),
    'enrich-slice': TASK_FACTORIES['enrich-slice'](deps),
  };
  port.on('message', (request: WorkerRequest) => {
    const slice = (request.event as { input?: { slice?: unknown } } | null)?.input?.slice;
    if (typeof slice === 'number' && testHooks?.holdSlices?.includes(slice)) {
      // Test hook: this request never finishes; the worker holds it until it is terminated.
      port.postMessage({ progress: `holding slice ${slice} (test hook)` } satisfies WorkerReply);
      return;
    }
    handlers[request.task](request.event).then(
      (result) => port.postMessage({ id: request.id, result } satisfies WorkerReply),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        port.postMessage({ id: request.id, error: { name: e.name, message: e.message } } satisfies WorkerReply);
      },
    );
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}

void start();
