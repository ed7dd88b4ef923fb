import { ErrorNames } from '../../src/errors';
import { LocalOrchestrator } from '../../src/runtime/local-orchestrator';
import { haltSliceWorkers, liveSliceWorkers, SlicePool } from '../../src/runtime/worker-pool';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, subscriptionEvent, T0, type TestLake } from '../helpers/lake';
import { curatedRows } from '../helpers/run';

const OBJECTS = [
  [accountEvent('u1', T0, { country: 'PT' }), subscriptionEvent('u1', 'en', T0 + 1, { subscription_type: 'yearly', subscription_status: 'active' })],
  [lessonEvent('u1', 'en', T0 + 5), otherEvent(T0 + 6), 'oops'],
  [lessonEvent('u1', 'en', T0 + 7), lessonEvent('u3', 'en', T0 + 8)],
];

async function seed(lake: TestLake): Promise<void> {
  for (const [i, lines] of OBJECTS.entries()) {
    await putRaw(lake, `raw/2024/04/07/10/eventlake-raw-1-2024-04-07-10-00-0${i}-x.gz`, lines);
  }
}

describe('slice worker processes', () => {
  it('give the same summary and table as running the slices in-process', async () => {
    // One object per slice, so the two workers really share the batch.
    const config = { sliceMaxBytes: 1 };
    const inProcess = await makeTestLake({ config });
    const threaded = await makeTestLake({ config });
    try {
      await seed(inProcess);
      await seed(threaded);

      const a = await new LocalOrchestrator(inProcess).execute({ name: 'a', input: { mode: 'scheduled' } });
      const b = await new LocalOrchestrator(threaded, { workers: 2 }).execute({ name: 'b', input: { mode: 'scheduled' } });

      expect(b.status).toBe('SUCCEEDED');
      expect({ ...b.output, committed_at: null }).toEqual({ ...a.output, committed_at: null });
      expect((b.output as { enriched: number }).enriched).toBe(2);
      expect(await curatedRows(threaded)).toEqual(await curatedRows(inProcess));
    } finally {
      await inProcess.cleanup();
      await threaded.cleanup();
    }
  });

  it('carries a worker error back with its ASL name', async () => {
    const lake = await makeTestLake();
    const pool = new SlicePool(1, lake.root, lake.config, () => undefined);
    try {
      const run = pool.run('validate-slice', { input: { batch_id: 'b', slice: 0 } });

      await expect(run).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
    } finally {
      await pool.close();
      await lake.cleanup();
    }
  });
});

describe('SlicePool.warm', () => {
  it('starts the processes before any request; release leaves them until they served one', async () => {
    const lake = await makeTestLake();
    const pool = new SlicePool(2, lake.root, lake.config, () => undefined);
    try {
      pool.warm();
      pool.warm(); // no second set
      expect(pool.liveWorkers).toBe(2);

      await pool.release();
      expect(pool.liveWorkers).toBe(2);

      await expect(pool.run('validate-slice', { input: { batch_id: 'b', slice: 0 } })).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
      await pool.release();
      expect(pool.liveWorkers).toBe(0);
    } finally {
      await pool.close();
      await lake.cleanup();
    }
  });
});

describe('a crashed slice worker', () => {
  it('fails the requests in flight and queued at once, and refuses more', async () => {
    const lake = await makeTestLake();
    const pool = new SlicePool(1, lake.root, lake.config, () => undefined);
    try {
      const inFlight = pool.run('validate-slice', { input: { batch_id: 'b', slice: 0 } });
      const queued = pool.run('enrich-slice', { input: { batch_id: 'b', slice: 0 } });
      const crash = new Error('worker crashed');
      (pool as unknown as { workers: { worker: { emit(e: string, err: Error): void } }[] }).workers[0]?.worker.emit('error', crash);

      await expect(inFlight).rejects.toBe(crash);
      await expect(queued).rejects.toBe(crash);
      await expect(pool.run('validate-slice', {})).rejects.toBe(crash);
    } finally {
      await pool.close();
      await lake.cleanup();
    }
  });
});

describe('stopping the slice pool', () => {
  const ref = (slice: number) => ({ input: { batch_id: 'b', slice } });

  it('abort rejects the requests in flight and queued with the reason, terminates every worker and refuses more', async () => {
    const lake = await makeTestLake();
    // Slices 0-2 never finish in a worker (test hook): two in flight, one queued.
    const pool = new SlicePool(2, lake.root, lake.config, () => undefined, { holdSlices: [0, 1, 2] });
    try {
      const runs = [0, 1, 2].map((slice) => pool.run('validate-slice', ref(slice)));
      const reason = new Error('another slice failed');

      await pool.abort(reason);

      for (const run of runs) await expect(run).rejects.toBe(reason);
      expect(pool.liveWorkers).toBe(0);
      expect(liveSliceWorkers()).toBe(0);
      await expect(pool.run('validate-slice', ref(3))).rejects.toBe(reason);
    } finally {
      await pool.close();
      await lake.cleanup();
    }
  });

  it('close settles every request still pending instead of leaving it hanging', async () => {
    const lake = await makeTestLake();
    const pool = new SlicePool(1, lake.root, lake.config, () => undefined, { holdSlices: [0, 1] });
    try {
      const inFlight = pool.run('validate-slice', ref(0));
      const queued = pool.run('enrich-slice', ref(1));

      await pool.close();

      await expect(inFlight).rejects.toThrow(/slice pool closed/);
      await expect(queued).rejects.toThrow(/slice pool closed/);
      expect(pool.liveWorkers).toBe(0);
    } finally {
      await lake.cleanup();
    }
  });
});

/** One worker that holds the requests for `slices` (test hook); `held` resolves once it holds the first. */
function holdingPool(lake: TestLake, slices: number[]): { pool: SlicePool; held: Promise<void> } {
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const pool = new SlicePool(1, lake.root, lake.config, (line) => line.startsWith('holding') && holding(), { holdSlices: slices });
  return { pool, held };
}

describe('a slice worker process that ends on its own', () => {
  it('fails the requests in flight and queued at once with the reason, and refuses more', async () => {
    const lake = await makeTestLake();
    const { pool, held } = holdingPool(lake, [0, 1]);
    try {
      const inFlight = pool.run('validate-slice', { input: { batch_id: 'b', slice: 0 } });
      const queued = pool.run('enrich-slice', { input: { batch_id: 'b', slice: 1 } });
      await held;
      // As the OOM killer would: the worker is gone without a word, in the middle of a slice.
      const worker = (pool as unknown as { workers: { worker: { pid: number } }[] }).workers[0]?.worker;
      process.kill(worker!.pid, 'SIGKILL');

      await expect(inFlight).rejects.toMatchObject({ name: 'SliceWorkerExited' });
      await expect(inFlight).rejects.toThrow(/exited \(signal SIGKILL\)/);
      await expect(queued).rejects.toMatchObject({ name: 'SliceWorkerExited' });
      await expect(pool.run('validate-slice', {})).rejects.toMatchObject({ name: 'SliceWorkerExited' });
      expect(pool.liveWorkers).toBe(0);
    } finally {
      await pool.close();
      await lake.cleanup();
    }
  });
});

describe('haltSliceWorkers (a process about to exit on Ctrl-C)', () => {
  it('kills every open pool\'s workers mid-slice and waits until they are gone, settling and starting nothing', async () => {
    const lake = await makeTestLake();
    const { pool, held } = holdingPool(lake, [0, 1]);
    const settledOrPending = (request: Promise<unknown>) =>
      Promise.race([request.then(() => 'settled', () => 'settled'), new Promise((resolve) => setTimeout(() => resolve('pending'), 300))]);
    try {
      const inFlight = pool.run('validate-slice', { input: { batch_id: 'b', slice: 0 } });
      const queued = pool.run('validate-slice', { input: { batch_id: 'b', slice: 1 } });
      await held;

      await haltSliceWorkers();

      expect(pool.liveWorkers).toBe(0);
      const later = pool.run('validate-slice', { input: { batch_id: 'b', slice: 2 } });
      expect(pool.liveWorkers).toBe(0);
      expect(await Promise.all([inFlight, queued, later].map(settledOrPending))).toEqual(['pending', 'pending', 'pending']);
    } finally {
      await pool.close();
      await lake.cleanup();
    }
  });
});
