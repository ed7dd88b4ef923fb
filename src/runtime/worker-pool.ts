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

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Worker threads for the per-slice Map iterations of the local runtime, so validation and enrichment
 * use every core (on Lambda each iteration is its own function instead). Each worker opens its own
 * adapters on the same lake folder. An error crosses back with its name, so ASL Retry/Catch still
 * match it.
 */
export class SlicePool {
  private readonly workers: { worker: Worker; busy: boolean; ready: Promise<void> }[] = [];
  private readonly queue: { request: WorkerRequest; pending: Pending }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(size: number, root: string, config: PipelineConfig, progress: Progress) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(join(__dirname, 'slice-worker.js'), { workerData: { root, config } });
      let markReady!: () => void;
      const slot = { worker, busy: false, ready: new Promise<void>((resolve) => (markReady = resolve)) };
      worker.on('message', (reply: WorkerReply) => {
        if ('ready' in reply) return markReady();
        if ('progress' in reply) return progress(reply.progress);
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

  run(task: SliceTaskName, event: unknown): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, task, event }, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private fail(error: Error): void {
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
      void slot.ready.then(() => slot.worker.postMessage(next.request));
    }
  }
}
