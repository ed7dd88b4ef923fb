import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConservationError, ErrorNames } from '../../src/errors';
import { loadAsl } from '../../src/workflow/asl';
import { LocalOrchestrator, localSubstitutions } from '../../src/runtime/local-orchestrator';
import { liveSliceWorkers } from '../../src/runtime/worker-pool';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { noRetryWait } from '../helpers/run';

/**
 * The first failed Map iteration stops the run's other slice work: held or slow slices are cancelled,
 * queued ones never start, worker threads are terminated, and execute() returns the original failure
 * leaving nothing behind that keeps the process alive (no worker, no timer). Nothing here measures time.
 */

/**
 * Watches the timeouts that the code under test starts (the interpreter's Task timers among them: 900 s for
 * a slice). `pending()` counts those still due that keep the process alive (not fired, not cleared, not
 * unref'd). Only this module sandbox's `setTimeout` is wrapped, so jest's own timers never count.
 */
function watchTimeouts() {
  const started: { timer: NodeJS.Timeout; done: boolean }[] = [];
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const entry = { timer: undefined as unknown as NodeJS.Timeout, done: false };
    entry.timer = realSet(
      (...callArgs: unknown[]) => {
        entry.done = true;
        callback(...callArgs);
      },
      ms,
      ...args,
    );
    started.push(entry);
    return entry.timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = (timer: NodeJS.Timeout | string | number | undefined) => {
    for (const entry of started) if (entry.timer === timer) entry.done = true;
    realClear(timer);
  };
  return {
    started: () => started.length,
    pending: () => started.filter((entry) => !entry.done && entry.timer.hasRef()).length,
    restore: () => {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

/** Lets every promise reaction that is already due run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One raw object per slice (sliceMaxBytes 1): slice i reads object i. */
async function seedSlices(lake: TestLake, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await putRaw(lake, rawKey(10, `s${i}`), [
      lessonEvent('u1', 'en', T0 + i),
      otherEvent(T0 + 100 + i),
      'not json',
    ]);
  }
}

async function expectLeaseReleased(lake: TestLake): Promise<void> {
  const lease = await lake.state.acquireLease({
    name: 'microbatch',
    owner: 'next-run',
    nowMs: Date.now(),
    ttlMs: 1000,
  });
  expect(lease.acquired).toBe(true);
}

describe('the first failed slice stops the others', () => {
  let lake: TestLake;
  let timeouts: ReturnType<typeof watchTimeouts>;
  beforeEach(async () => {
    lake = await makeTestLake({ config: { sliceMaxBytes: 1 } });
    timeouts = watchTimeouts();
  });
  afterEach(async () => {
    timeouts.restore();
    await lake.cleanup();
  });

  it('workers = 2: a real fault in one worker terminates the workers holding the other slices; execute returns that failure', async () => {
    // Slice 0 fails for real: `quarantine` is a file, so its quarantine write cannot create the folder.
    await putRaw(lake, rawKey(9, 'fails'), [otherEvent(T0), 'not json']);
    await seedSlices(lake, 4);
    await writeFile(join(lake.root, 'quarantine'), 'a file where the quarantine folder belongs');

    const result = await new LocalOrchestrator(lake, {
      workers: 2,
      retryIntervalOverrides: noRetryWait(),
      // Slices 1-4 never finish in their worker: only cancellation can end them.
      sliceWorkerTestHooks: { holdSlices: [1, 2, 3, 4] },
    }).execute({ name: 'held', input: { mode: 'scheduled' } });

    expect(result).toMatchObject({ status: 'FAILED', error: 'Error' });
    expect(result.cause).toMatch(/ENOTDIR/);
    await settle();
    expect(timeouts.started()).toBeGreaterThan(0);
    expect(timeouts.pending()).toBe(0);
    expect(liveSliceWorkers()).toBe(0);
    expect(lake.progressLines.filter((line) => /^slice [1-4]:/.test(line))).toEqual([]);
    expect(
      lake.progressLines.some((line) =>
        /^cancelling \d+ Map iteration task\(s\): ValidateSlices iteration 0 failed \(Error\)/.test(line),
      ),
    ).toBe(true);
    await expectLeaseReleased(lake);
  });

  it.each([
    { workers: 1, state: 'ValidateSlice', map: 'ValidateSlices' },
    { workers: 2, state: 'EnrichSlice', map: 'EnrichSlices' },
  ])(
    'workers = $workers: $map stops scheduling slices after one fails and returns while others are still in flight',
    async ({ workers, state }) => {
      await seedSlices(lake, 6);
      const started: number[] = [];
      const release: (() => void)[] = [];
      let othersRunning!: () => void;
      const othersStarted = new Promise<void>((resolve) => (othersRunning = resolve));
      // Slices 1-3 never finish on their own (in-process handlers, which cannot be killed); slice 0 fails as
      // soon as they are all running; slices 4-5 wait behind the Map's MaxConcurrency of 4.
      const handler = async (event: unknown): Promise<unknown> => {
        const slice = (event as { input: { slice: number } }).input.slice;
        started.push(slice);
        if (slice === 0) {
          await othersStarted;
          throw new ConservationError('slice 0 does not balance');
        }
        const done = new Promise((resolve) => release.push(() => resolve({ slice })));
        if (release.length === 3) othersRunning();
        return done;
      };

      const result = await new LocalOrchestrator(lake, {
        workers,
        retryIntervalOverrides: noRetryWait(),
        handlerOverrides: { [state]: handler },
      }).execute({
        name: `in-flight-${state}`,
        input: { mode: 'scheduled' },
      });

      expect(result).toMatchObject({
        status: 'FAILED',
        error: ErrorNames.ConservationViolated,
        cause: 'slice 0 does not balance',
      });
      // Returned while slices 1-3 were still running; the queued slices 4-5 never started.
      expect(release).toHaveLength(3);
      expect([...started].sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
      await settle();
      expect(timeouts.started()).toBeGreaterThan(0);
      expect(timeouts.pending()).toBe(0);
      expect(liveSliceWorkers()).toBe(0);
      await expectLeaseReleased(lake);

      // Their late results change nothing: the Map never goes on.
      for (const done of release) done();
      await settle();
      expect([...started].sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
      expect(lake.progressLines).not.toContain('→ SummarizeSlices');
    },
  );
});

describe('the ASL lets the first failed Map iteration fail the run (what cancelling the other slices assumes)', () => {
  it('no Map state retries, and every Map state catches into ReleaseLeaseAfterFailure -> RunFailed', () => {
    const definition = loadAsl(localSubstitutions()) as { States: Record<string, Record<string, unknown>> };
    const maps = Object.entries(definition.States).filter(([, state]) => state.Type === 'Map');
    expect(maps.map(([name]) => name)).toEqual(expect.arrayContaining(['ValidateSlices', 'EnrichSlices']));
    for (const [, map] of maps) {
      expect(map.Retry).toBeUndefined();
      expect(map.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'ReleaseLeaseAfterFailure' }),
      ]);
    }
    expect(definition.States.ReleaseLeaseAfterFailure).toMatchObject({ Next: 'RunFailed' });
    expect(definition.States.RunFailed).toMatchObject({ Type: 'Fail' });
  });
});
