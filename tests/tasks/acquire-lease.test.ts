import { InvalidInputError } from '../../src/errors';
import { createHandler } from '../../tasks/acquire-lease/handler';
import { makeTestLake, type TestLake } from '../helpers/lake';

describe('AcquireLease handler', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('takes the lease for the execution and returns the lease outcome', async () => {
    // Prepare
    const handler = createHandler(lake);

    // Act
    const first = await handler({ run: { mode: 'scheduled' }, execution: 'run-1' });
    const second = await handler({ run: { mode: 'scheduled' }, execution: 'run-2' });

    // Assess
    expect(first).toEqual({ acquired: true, owner: 'run-1', holder: null });
    expect(second).toEqual({ acquired: false, owner: 'run-2', holder: 'run-1' });
  });

  it('refuses an input without the execution name, naming the task and the field', async () => {
    // Act
    const calling = createHandler(lake)({ run: { mode: 'scheduled' } });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('AcquireLease: invalid input: execution is a required field');
    expect(await lake.state.describeLease('microbatch')).toBeUndefined();
  });

  it('refuses an execution input that is not a valid run input, before taking the lease', async () => {
    // Act
    const calling = createHandler(lake)({ run: { mode: 'backfill', from: '2024-04-08', to: '2024-04-07' }, execution: 'run-1' });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('backfill range is empty: from 2024-04-08 is after to 2024-04-07');
    expect(await lake.state.describeLease('microbatch')).toBeUndefined();
  });
});
