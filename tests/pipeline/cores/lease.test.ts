import { acquireLease, releaseLease } from '../../../src/pipeline/lease';
import { makeTestLake, type TestLake } from '../../helpers/lake';
import { movableClock } from '../../helpers/stages';

describe('acquireLease / releaseLease', () => {
  let lake: TestLake;
  const clock = movableClock('2024-04-08T12:00:00Z');
  beforeEach(async () => {
    clock.at = Date.parse('2024-04-08T12:00:00Z');
    lake = await makeTestLake({ clock, config: { pipelineName: 'hourly' } });
  });
  afterEach(() => lake.cleanup());

  it('acquires a free lease for the execution, under the pipeline name, for the configured TTL', async () => {
    // Act
    const outcome = await acquireLease(lake, 'run-1');

    // Assess
    expect(outcome).toEqual({ acquired: true, owner: 'run-1', holder: null });
    expect(await lake.state.describeLease('hourly')).toMatchObject({
      owner: 'run-1',
      expiresAtMs: clock.at + lake.config.leaseTtlSeconds * 1000,
    });
  });

  it('skips (no error) when another execution holds the lease, naming the holder', async () => {
    // Prepare
    await acquireLease(lake, 'run-1');

    // Act
    const outcome = await acquireLease(lake, 'run-2');

    // Assess
    expect(outcome).toEqual({ acquired: false, owner: 'run-2', holder: 'run-1' });
    expect(lake.progressLines).toContain('lease held by run-1: skipping');
  });

  it('renews the lease for the execution that holds it', async () => {
    // Prepare
    await acquireLease(lake, 'run-1');
    clock.at += 60_000;

    // Act
    const outcome = await acquireLease(lake, 'run-1');

    // Assess
    expect(outcome.acquired).toBe(true);
    expect((await lake.state.describeLease('hourly'))?.expiresAtMs).toBe(clock.at + lake.config.leaseTtlSeconds * 1000);
  });

  it('takes over an expired lease', async () => {
    // Prepare
    await acquireLease(lake, 'run-1');
    clock.at += lake.config.leaseTtlSeconds * 1000 + 1;

    // Act
    const outcome = await acquireLease(lake, 'run-2');

    // Assess
    expect(outcome).toEqual({ acquired: true, owner: 'run-2', holder: null });
  });

  it('releases only for the holder, after which another execution acquires it', async () => {
    // Prepare
    await acquireLease(lake, 'run-1');

    // Act
    const byOther = await releaseLease(lake, 'run-2');
    const byHolder = await releaseLease(lake, 'run-1');
    const next = await acquireLease(lake, 'run-2');

    // Assess
    expect(byOther).toBe(false);
    expect(byHolder).toBe(true);
    expect(next.acquired).toBe(true);
  });

  it('releasing a lease nobody holds is a no-op returning false', async () => {
    // Act / Assess
    expect(await releaseLease(lake, 'run-1')).toBe(false);
    expect(await lake.state.describeLease('hourly')).toBeUndefined();
  });
});
