import { fork, type ChildProcess } from 'node:child_process';
import { EventLakeError } from '../errors';
import type { PipelineConfig } from '../pipeline/config';
import type { Progress } from '../pipeline/deps';
import { sliceWorkerEntry } from './slice-worker-bundle';

export type SliceTaskName = 'validate-slice' | 'enrich-slice';

export interface WorkerRequest {
  readonly id: number;
  readonly task: SliceTaskName;
  readonly event: unknown;
}

/** What a slice worker process is given first: where the lake is and how the pipeline is configured. */
export interface WorkerInit {
  readonly init: { readonly root: string; readonly config: PipelineConfig; readonly testHooks?: SliceWorkerTestHooks };
}

export type WorkerReply =
  | { readonly ready: true }
  | { readonly progress: string }
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };

/**
 * Test only: fault injection inside the worker threads. `holdSlices`: requests for these slice indexes
 * (`event.input.slice`) never finish; the worker holds them until it is terminated (cancellation tests).
 */
export interface SliceWorkerTestHooks {
  readonly holdSlices?: readonly number[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: ChildProcess;
  busy: boolean;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  /** Set once the pool ends it (release, abort): its exit is expected then. */
  stopping: boolean;
}

/** Slice worker processes of every pool that have not exited yet (a pool's are gone once abort/close resolves). */
let liveWorkers = 0;

/** Pools not yet aborted or closed (haltSliceWorkers). */
const openPools = new Set<SlicePool>();

/**
 * V8 flags of a slice worker process:
 * - a young generation of 32 MiB semi-spaces instead of 16, as validation allocates ~1.5 KB of short-lived
 *   objects per line (measured on one thread: ~20% less time; the cost is up to 32 MiB more per worker while it
 *   runs). The old generation grows as V8 chooses: with timelines kept in typed arrays
 *   (src/pipeline/timeline-cache.ts) little is promoted, and holding it to twice its live data
 *   (`--heap-growing-percent=100`, needed while the cache kept one object per version) now only cost time.
 * - `--single-threaded`: no V8 background threads (parallel scavenge, concurrent marking and sweeping,
 *   concurrent optimizing compiles). There is one worker per core and each keeps its core busy, so those threads
 *   only took time from the other worker: at 1M events they used ~1.8 s of CPU per worker (~0.6 s of it GC, the
 *   rest optimizing compiles, many of them again after new input shapes deoptimized a function) beside ~6 s on
 *   the main thread, and without them the workers used ~9% less CPU in 4 alternating runs
 *   (docs/performance.md).
 */
const WORKER_EXEC_ARGV = ['--max-semi-space-size=32', '--single-threaded'];

/** How many slice worker processes this process still has running (diagnostics and tests). */
export function liveSliceWorkers(): number {
  return liveWorkers;
}

/**
 * Halts every open pool of this process (`SlicePool.halt`): its slice workers are killed mid-slice and gone
 * when this resolves. For a process about to exit (Ctrl-C): a worker would otherwise go on writing into the
 * lake until it noticed its parent had gone.
 */
export async function haltSliceWorkers(): Promise<void> {
  await Promise.all([...openPools].map((pool) => pool.halt()));
}

/**
 * Worker processes for the per-slice Map iterations of the local runtime, so validation and enrichment
 * use every core (on Lambda each iteration is its own function instead). Each worker opens its own
 * adapters on the same lake folder. An error crosses back with its name, so ASL Retry/Catch still
 * match it. Processes, not threads: a thread's freed memory stays in the process's malloc arenas, so
 * ~300 MiB of the slice states stayed resident under DuckDB's states (docs/performance.md); a process
 * that exits gives all of it back.
 *
 * Stopping: `abort(reason)` (the run failed elsewhere) and `close()` reject every request in flight or
 * queued, kill the processes (a slice is stopped mid-way, as a killed process would be) and refuse
 * further work; nothing is left pending, so no Task timer outlives the run.
 */
export class SlicePool {
  private readonly workers: Slot[] = [];
  private readonly queue: { request: WorkerRequest; pending: Pending }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;
  private live = 0;
  private stopping: Promise<void> | undefined;
  /** Workers `release` is still stopping. */
  private releasing: Promise<void> | undefined;
  /** Whether the running processes were given a request yet (`release` leaves processes started by `warm` alone). */
  private served = false;
  /** Set by `halt`: the process is about to exit, and the pool starts and settles nothing more. */
  private halted = false;
  /** Whether this pool said already that its workers load through tsx (sliceWorkerEntry). */
  private fallbackReported = false;

  constructor(
    private readonly size: number,
    private readonly root: string,
    private readonly config: PipelineConfig,
    private readonly progress: Progress,
    private readonly testHooks?: SliceWorkerTestHooks,
  ) {
    openPools.add(this);
  }

  /** Starts the processes (on the first request, and again after `release`). */
  private spawn(): void {
    this.served = false;
    const entry = sliceWorkerEntry();
    if (entry.fallback !== undefined && !this.fallbackReported) {
      this.fallbackReported = true;
      this.progress(`slice workers load through tsx, which starts them slower: ${entry.fallback}`);
    }
    for (let i = 0; i < this.size; i++) {
      // stdout is not inherited: `run --json` prints one object there; a worker reports through messages.
      const worker = fork(entry.file, [], {
        execArgv: WORKER_EXEC_ARGV,
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      this.live++;
      liveWorkers++;
      let markReady!: () => void;
      const slot: Slot = {
        worker,
        busy: false,
        ready: new Promise<void>((resolve) => (markReady = resolve)),
        exited: new Promise<void>((resolve) =>
          worker.once('exit', (code, signal) => {
            this.live--;
            liveWorkers--;
            // A worker that ends on its own (killed by the OOM killer, a crash) fails the run at once.
            if (!slot.stopping) {
              this.fail(new EventLakeError('SliceWorkerExited', `a slice worker process exited (${signal !== null ? `signal ${signal}` : `code ${String(code)}`}) while the run needed it`));
            }
            resolve();
          }),
        ),
        stopping: false,
      };
      worker.on('message', (reply: WorkerReply) => {
        // After a failure nothing a worker still says counts (not even a slice that finished meanwhile).
        if (this.failure) return;
        if ('ready' in reply) return markReady();
        if ('progress' in reply) return this.progress(reply.progress);
        const waiting = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        setBusy(slot, false);
        if ('error' in reply) waiting?.reject(new EventLakeError(reply.error.name, reply.error.message));
        else waiting?.resolve(reply.result);
        this.dispatch();
      });
      // A worker that cannot start or be reached fails everything in flight and queued at once (rather than
      // leaving the run waiting for the Task timeout); the pool refuses further work.
      worker.on('error', (error) => this.fail(error));
      worker.send({ init: { root: this.root, config: this.config, testHooks: this.testHooks } } satisfies WorkerInit);
      // An idle worker alone does not keep this process alive; a busy or stopping one does (setBusy, stop).
      worker.unref();
      worker.channel?.unref();
      this.workers.push(slot);
    }
  }

  /** Stops one worker (mid-slice if it is busy, as a killed process would be) and waits until it is gone. */
  private async stop(slot: Slot): Promise<void> {
    slot.stopping = true;
    // Held until its exit is seen: an unreferenced child's exit event never comes once nothing else is pending.
    slot.worker.ref();
    if (slot.worker.exitCode === null && slot.worker.signalCode === null) slot.worker.kill('SIGKILL');
    await slot.exited;
  }

  /**
   * Starts the processes ahead of the first request, so they boot (node, the worker's bundle, their stores:
   * ~0.1 s here; ~0.45 s through tsx) while the caller does other work. No-op when they run already or the pool failed.
   */
  warm(): void {
    if (!this.failure && this.workers.length === 0) this.spawn();
  }

  /**
   * Ends the processes once they served their requests and no slice work is queued or running, so their memory
   * goes back to the system before DuckDB's states (the peak RSS of a run is the sum otherwise:
   * docs/performance.md); the next request starts new ones. No-op while work is pending, and for processes
   * `warm` started that were not given any request yet (they are there for the work to come).
   */
  async release(): Promise<void> {
    if (this.failure || !this.served || this.pending.size > 0 || this.queue.length > 0 || this.workers.length === 0) return;
    const released = Promise.all(this.workers.splice(0).map((slot) => this.stop(slot))).then(() => undefined);
    // abort/close wait for it too: the workers it stops are no longer in `workers`.
    this.releasing = Promise.all([this.releasing, released]).then(() => undefined);
    await released;
  }

  /** Worker processes of this pool that have not exited yet. */
  get liveWorkers(): number {
    return this.live;
  }

  run(task: SliceTaskName, event: unknown): Promise<unknown> {
    // Halted: the process is exiting; a request neither starts a worker nor fails the run meanwhile.
    if (this.halted) return new Promise(() => undefined);
    if (this.failure) return Promise.reject(this.failure);
    if (this.workers.length === 0) this.spawn();
    this.served = true;
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, task, event }, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  /**
   * Stops all work because the run failed: requests in flight and queued reject with `reason` (the first
   * reason wins), the processes are killed; resolves once every one has exited.
   */
  abort(reason: Error): Promise<void> {
    openPools.delete(this);
    this.fail(reason);
    this.stopping ??= Promise.all([this.releasing, ...this.workers.map((slot) => this.stop(slot))]).then(() => undefined);
    return this.stopping;
  }

  /**
   * For a process about to exit: kills the workers and resolves once they are gone, settling nothing (no request
   * fails, so the run reports no failure that the exit would cut short).
   */
  async halt(): Promise<void> {
    openPools.delete(this);
    this.halted = true;
    await Promise.all([this.releasing, ...this.workers.splice(0).map((slot) => this.stop(slot))]);
  }

  /** Ends the pool: like abort, for a pool whose work is done (anything still pending is rejected). */
  close(): Promise<void> {
    return this.abort(new Error('slice pool closed'));
  }

  private fail(error: Error): void {
    if (this.failure || this.halted) return;
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    for (const queued of this.queue.splice(0)) queued.pending.reject(error);
  }

  private dispatch(): void {
    for (const slot of this.workers) {
      const next = slot.busy ? undefined : this.queue.shift();
      if (!next) continue;
      setBusy(slot, true);
      this.pending.set(next.request.id, next.pending);
      void slot.ready.then(() => {
        if (!this.failure) slot.worker.send(next.request);
      });
    }
  }
}

/** A busy worker keeps this process alive until it answers (the run awaits nothing else meanwhile). */
function setBusy(slot: Slot, busy: boolean): void {
  slot.busy = busy;
  if (busy) slot.worker.channel?.ref();
  else slot.worker.channel?.unref();
}
