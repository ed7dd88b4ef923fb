import { ConfigError } from '../errors';
import { systemClock } from '../ports/clock';
import type { SqlEngine } from '../ports/sql-engine';
import type { PipelineDeps } from '../pipeline/deps';
import { openLocalStores } from './local-stores';
import { TimelineCache } from '../pipeline/timeline-cache';
import { TASK_FACTORIES, type TaskHandler } from '../../tasks/index';
import type { SliceTaskName, WorkerInit, WorkerReply, WorkerRequest } from './worker-pool';

/** Slice tasks never touch SQL; a call here is a bug worth a loud error. */
const noSql: SqlEngine = {
  run: () => Promise.reject(new ConfigError('SQL is not available in a slice worker')),
  query: () => Promise.reject(new ConfigError('SQL is not available in a slice worker')),
  close: () => Promise.resolve(),
};

function reply(message: WorkerReply): void {
  process.send?.(message);
}

async function start({ root, config, testHooks }: WorkerInit['init']): Promise<void> {
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
    progress: (message) => reply({ progress: message }),
    // Safe here: this process serves the slice Maps of one batch and ends (SlicePool.release).
    timelines: new TimelineCache(),
  };
  const handlers: Record<SliceTaskName, TaskHandler> = {
    'validate-slice': TASK_FACTORIES['validate-slice'](deps),
    'enrich-slice': TASK_FACTORIES['enrich-slice'](deps),
  };
  process.on('message', (request: WorkerRequest) => {
    const slice = (request.event as { input?: { slice?: unknown } } | null)?.input?.slice;
    if (typeof slice === 'number' && testHooks?.holdSlices?.includes(slice)) {
      // Test hook: this request never finishes; the worker holds it until it is terminated.
      reply({ progress: `holding slice ${slice} (test hook)` });
      return;
    }
    handlers[request.task](request.event).then(
      (result) => reply({ id: request.id, result }),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        reply({ id: request.id, error: { name: e.name, message: e.message } });
      },
    );
  });
  reply({ ready: true });
}

if (!process.send) throw new Error('slice-worker-main must run in a process forked with an IPC channel');
// The first message says where the lake is; every later one is a request.
process.once('message', (message: WorkerInit) => void start(message.init));
// The parent gone (killed, crashed) leaves nothing to work for.
process.on('disconnect', () => process.exit(0));
