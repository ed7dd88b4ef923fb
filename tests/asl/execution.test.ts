import { ConservationError, ErrorNames, TransientError } from '../../src/errors';
import { Layout } from '../../src/ports/layout';
import { LocalOrchestrator } from '../../src/runtime/local-orchestrator';
import { TASK_FACTORIES } from '../../tasks/index';
import { noRetryWait } from '../helpers/run';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, subscriptionEvent, T0, type TestLake } from '../helpers/lake';

const RAW_KEY = 'raw/2024/04/07/10/eventlake-raw-1-2024-04-07-10-00-00-a.gz';
const NO_RETRY_WAIT = { retryIntervalOverrides: noRetryWait() };

async function seed(lake: TestLake): Promise<void> {
  await putRaw(lake, RAW_KEY, [
    accountEvent('u1', T0, { country: 'DE' }),
    subscriptionEvent('u1', 'es', T0 + 10, { subscription_type: 'monthly', subscription_status: 'active' }),
    lessonEvent('u1', 'es', T0 + 20),
    otherEvent(T0 + 30),
    'not json',
  ]);
}

describe('the ASL through the local interpreter', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
    await seed(lake);
  });
  afterEach(() => lake.cleanup());

  it('happy path: commits the batch and advances the checkpoint once', async () => {
    const result = await new LocalOrchestrator(lake).execute({ name: 'happy', input: { mode: 'scheduled' } });

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { status: 'committed', lines_read: 5, inserted: 4, quarantined: 1 } });
    const checkpoint = await lake.state.getCheckpoint('microbatch');
    expect(checkpoint).toMatchObject({ version: 2, lastBatchId: (result.output as { batch_id: string }).batch_id });
    expect(checkpoint.pending).toBeUndefined();
  });

  it('retries a transient error by name and then succeeds', async () => {
    const real = TASK_FACTORIES['validate-slice'](lake);
    let calls = 0;
    const flaky = async (event: unknown) => {
      calls++;
      if (calls === 1) throw new TransientError('state store throttled');
      return real(event);
    };

    const result = await new LocalOrchestrator(lake, { ...NO_RETRY_WAIT, handlerOverrides: { ValidateSlice: flaky } }).execute({
      name: 'flaky',
      input: { mode: 'scheduled' },
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    expect(lake.progressLines).toContain('retrying ValidateSlice');
  });

  it('does not retry a non-transient error: the Catch releases the lease and the run fails with the original name', async () => {
    let calls = 0;
    const broken = () => {
      calls++;
      return Promise.reject(new ConservationError('lines do not balance'));
    };

    const result = await new LocalOrchestrator(lake, { ...NO_RETRY_WAIT, handlerOverrides: { VerifyBatch: broken } }).execute({
      name: 'broken',
      input: { mode: 'scheduled' },
    });

    expect(result).toMatchObject({ status: 'FAILED', error: ErrorNames.ConservationViolated, cause: 'lines do not balance' });
    expect(calls).toBe(1);
    const checkpoint = await lake.state.getCheckpoint('microbatch');
    expect(checkpoint.lastBatchId).toBeUndefined();
    const published: string[] = [];
    for await (const o of lake.objects.list(Layout.curatedEvents)) published.push(o.key);
    expect(published).toEqual([]);
    const lease = await lake.state.acquireLease({ name: 'microbatch', owner: 'next-run', nowMs: Date.now(), ttlMs: 1000 });
    expect(lease.acquired).toBe(true);
  });

  it('surfaces a task input error by its name, not as a swallowed TypeError', async () => {
    const result = await new LocalOrchestrator(lake, NO_RETRY_WAIT).execute({ name: 'bad-input', input: { mode: 'backfill' } });

    expect(result).toMatchObject({ status: 'FAILED', error: ErrorNames.InvalidInput });
    expect(result.cause).toMatch(/backfill needs from/);
  });

  it('skips a second run while the lease is held, writing nothing', async () => {
    await lake.state.acquireLease({ name: 'microbatch', owner: 'other-run', nowMs: lake.clock.now().getTime(), ttlMs: 3_600_000 });

    const result = await new LocalOrchestrator(lake).execute({ name: 'second', input: { mode: 'scheduled' } });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ lease: { acquired: false, holder: 'other-run' } });
    const staged: string[] = [];
    for await (const o of lake.objects.list('staging/')) staged.push(o.key);
    expect(staged).toEqual([]);
    expect((await lake.state.getCheckpoint('microbatch')).version).toBe(0);
  });
});
