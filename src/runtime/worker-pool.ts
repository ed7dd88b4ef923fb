import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EventLakeError } from '../errors';
import type { PipelineConfig } from '../pipeline/config';
import type { Progress } from '../pipeline/deps';

export type SliceTaskName = 'validate-slice' | 'enrich-slice';

export interface WorkerRequest {
  readonly id: number;
  readonly task: SliceTaskName;
  readonly event: unknown;
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
  readonly worker: Worker;
  busy: boolean;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

/** Slice worker threads of every pool that have not exited yet (a pool's are gone once abort/close resolves). */
let liveWorkers = 0;

/** How many slice worker threads of this process are still running (diagnostics and tests). */
export function liveSliceWorkers(): number {
  return liveWorkers;
}

/**
 * Worker threads for the per-slice Map iterations of the local runtime, so validation and enrichment
 * use every core (on Lambda each iteration is its own function instead). Each worker opens its own
 * adapters on the same lake folder. An error crosses back with its name, so ASL Retry/Catch still
 * match it.
 *
 * Stopping: `abort(reason)` (the run failed elsewhere) and `close()` reject every request in flight or
 * queued, terminate the threads (a slice is stopped mid-way, as a killed process would be) and refuse
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

  constructor(
    private readonly size: number,
    private readonly root: string,
    private readonly config: PipelineConfig,
    private readonly progress: Progress,
    private readonly testHooks?: SliceWorkerTestHooks,
  ) {}

  /** Starts the threads (on the first request, and again after `release`). */
  private spawn(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(join(__dirname, 'slice-worker.js'), {
        workerData: { root: this.root, config: this.config, testHooks: this.testHooks },
      });
      this.live++;
      liveWorkers++;
      let markReady!: () => void;
      const slot: Slot = {
        worker,
        busy: false,
        ready: new Promise<void>((resolve) => (markReady = resolve)),
        exited: new Promise<void>((resolve) =>
          worker.once('exit', () => {
            this.live--;
            liveWorkers--;
            resolve();
          }),
        ),
      };
      worker.on('message', (reply: WorkerReply) => {
        // After a failure nothing a worker still says counts (not even a slice that finished meanwhile).
        if (this.failure) return;
        if ('ready' in reply) return markReady();
        if ('progress' in reply) return this.progress(reply.progress);
        const waiting = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        slot.busy = false;
        if ('error' in reply) waiting?.reject(new EventLakeError(reply.error.name, reply.error.message));
        else waiting?.resolve(reply.result);
        this.dispatch();
      });
      // A crashed worker fails everything in flight and queued at once (rather than leaving the run
      // waiting for the Task timeout); the pool refuses further work.
      worker.on('error', (error) => this.fail(error));
      worker.unref();
      this.workers.push(slot);
    }
  }

  /**
   * Ends the threads while no slice work is queued or running, so their heaps go back to the system
   * before DuckDB's states (the peak RSS of a run is the sum otherwise: docs/performance.md); the next
   * request starts new threads. No-op while work is pending.
   */
  async release(): Promise<void> {
    if (this.failure || this.pending.size > 0 || this.queue.length > 0 || this.workers.length === 0) return;
    const slots = this.workers.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        await slot.worker.terminate();
        await slot.exited;
      }),
    );
  }

  /** Worker threads of this pool that have not exited yet. */
  get liveWorkers(): number {
    return this.live;
  }

  run(task: SliceTaskName, event: unknown): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.workers.length === 0) this.spawn();
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, task, event }, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  /**
   * Stops all work because the run failed: requests in flight and queued reject with `reason` (the first
   * reason wins), the threads are terminated; resolves once every thread has exited.
   */
  abort(reason: Error): Promise<void> {
    this.fail(reason);
    this.stopping ??= Promise.all(
      this.workers.map(async (slot) => {
        await slot.worker.terminate();
        await slot.exited;
      }),
    ).then(() => undefined);
    return this.stopping;
  }

  /** Ends the pool: like abort, for a pool whose work is done (anything still pending is rejected). */
  close(): Promise<void> {
    return this.abort(new Error('slice pool closed'));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    for (const queued of this.queue.splice(0)) queued.pending.reject(error);
  }

  private dispatch(): void {
    for (const slot of this.workers) {
      const next = slot.busy ? undefined : this.queue.shift();
      if (!next) continue;
      slot.busy = true;
      this.pending.set(next.request.id, next.pending);
      void slot.ready.then(() => {
        if (!this.failure) slot.worker.postMessage(next.request);
      });
    }
  }
}
