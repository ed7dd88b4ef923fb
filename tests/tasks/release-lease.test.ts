import { InvalidInputError } from '../../src/errors';
import { emptySummary } from '../../src/pipeline/run-summary';
import { acquireLease } from '../../src/pipeline/lease';
import { createHandler } from '../../tasks/release-lease/handler';
import { makeTestLake, type TestLake } from '../helpers/lake';

describe('ReleaseLease handler', () => {
  let lake: TestLake;
  const lease = { acquired: true, owner: 'run-1', holder: null };
  beforeEach(async () => {
    lake = await makeTestLake();
    await acquireLease(lake, 'run-1');
  });
  afterEach(() => lake.cleanup());

  it('frees the lease and returns the commit summary on the success path', async () => {
    // Prepare
    const commit = { ...emptySummary('committed', 'scheduled'), batch_id: 'b1', committed_at: '2024-04-08T12:00:00.000Z' };

    // Act
    const summary = await createHandler(lake)({ mode: 'scheduled', lease, commit });

    // Assess
    expect(summary).toEqual(commit);
    expect(await lake.state.describeLease('microbatch')).toBeUndefined();
  });

  it('returns a failed summary on the failure path', async () => {
    // Act
    const summary = await createHandler(lake)({ mode: 'backfill', lease, error: { Error: 'EventLake.ConservationViolated', Cause: 'x' } });

    // Assess
    expect(summary).toEqual(emptySummary('failed', 'backfill'));
    expect(await lake.state.describeLease('microbatch')).toBeUndefined();
  });

  it('returns nothing_to_do when there was no batch', async () => {
    // Act / Assess
    expect(await createHandler(lake)({ mode: 'scheduled', lease, commit: { status: 'nothing_to_do' } })).toEqual(emptySummary('nothing_to_do', 'scheduled'));
  });

  it('refuses a lease without its owner, naming the task and the field, and keeps the lease', async () => {
    // Act
    const calling = createHandler(lake)({ mode: 'scheduled', lease: { acquired: true } });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('ReleaseLease: invalid input: lease.owner is a required field');
    expect(await lake.state.describeLease('microbatch')).toMatchObject({ owner: 'run-1' });
  });

  it('refuses an error without its Error name', async () => {
    // Act / Assess
    await expect(createHandler(lake)({ mode: 'scheduled', lease, error: { Cause: 'x' } })).rejects.toThrow(
      'ReleaseLease: invalid input: error.Error is a required field',
    );
  });
});
