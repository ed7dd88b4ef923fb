import { LocalOrchestrator } from '../../src/runtime/local-orchestrator';
import { liveSliceWorkers } from '../../src/runtime/worker-pool';
import { TASK_FACTORIES } from '../../tasks/index';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';

/**
 * Between the slice Maps the worker processes are ended, so their memory is not held while DuckDB's states
 * run (docs/performance.md: the peak RSS of a run was the workers' memory plus DuckDB's); the next slice
 * Map starts new ones and the run ends as it would have.
 */
describe('LocalOrchestrator with worker processes', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(async () => {
    await lake.cleanup();
  });

  /** The live slice workers once the pool had time to end them (up to 5 s), checked without a timer race. */
  async function settledWorkers(): Promise<number> {
    for (let i = 0; i < 100 && liveSliceWorkers() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    return liveSliceWorkers();
  }

  it('ends the workers after ValidateSlices and after EnrichSlices; both Maps still run on workers', async () => {
    await putRaw(lake, rawKey(10, 'a'), [accountEvent('u1', T0, { country: 'DE' }), lessonEvent('u1', 'de', T0 + 5), otherEvent(T0 + 6)]);
    await putRaw(lake, rawKey(11, 'b'), [lessonEvent('u1', 'de', T0 + 7)]);
    const seen: Record<string, number> = {};
    const summarize = TASK_FACTORIES['summarize-slices'](lake);
    const verify = TASK_FACTORIES['verify-batch'](lake);

    const result = await new LocalOrchestrator(lake, {
      workers: 2,
      handlerOverrides: {
        SummarizeSlices: async (event) => {
          seen.summarize = await settledWorkers();
          return summarize(event);
        },
        VerifyBatch: async (event) => {
          seen.verify = await settledWorkers();
          return verify(event);
        },
      },
    }).execute({ name: 'release', input: { mode: 'scheduled' } });

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { status: 'committed', inserted: 4 } });
    expect(seen).toEqual({ summarize: 0, verify: 0 });
    // Both slice Maps ran in worker threads: their progress lines came back from the workers.
    expect(lake.progressLines.filter((line) => /^slice \d+: .*lessons enriched/.test(line)).length).toBeGreaterThan(0);
  });

  it('starts the workers with the run, before the lease and the plan, so the first slice Map finds them up', async () => {
    await putRaw(lake, rawKey(10, 'a'), [lessonEvent('u1', 'de', T0 + 5), otherEvent(T0 + 6)]);
    const plan = TASK_FACTORIES['plan-batch'](lake);
    let atPlan = -1;

    const result = await new LocalOrchestrator(lake, {
      workers: 2,
      handlerOverrides: {
        PlanBatch: async (event) => {
          atPlan = liveSliceWorkers();
          return plan(event);
        },
      },
    }).execute({ name: 'warm', input: { mode: 'scheduled' } });

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { status: 'committed', inserted: 2 } });
    // Entering AcquireLease and PlanBatch (states that are not slice Maps) did not end them.
    expect(atPlan).toBe(2);
    expect(liveSliceWorkers()).toBe(0);
  });

  it('ends the workers it started when the run has nothing to read', async () => {
    const result = await new LocalOrchestrator(lake, { workers: 2 }).execute({ name: 'empty', input: { mode: 'scheduled' } });

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { status: 'nothing_to_do' } });
    expect(liveSliceWorkers()).toBe(0);
  });
});
