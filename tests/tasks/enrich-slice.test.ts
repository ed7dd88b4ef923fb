import { InvalidInputError } from '../../src/errors';
import { createHandler } from '../../tasks/enrich-slice/handler';
import { accountEvent, lessonEvent, makeTestLake, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { planOn, validateAll } from '../helpers/stages';

describe('EnrichSlice handler', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('enriches the slice a Map iteration names and returns its counts', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [accountEvent('u1', T0, { country: 'DE' }), lessonEvent('u1', 'de', T0 + 1), lessonEvent('u2', 'de', T0 + 1)]);
    const plan = await planOn(lake);
    await validateAll(lake, plan);

    // Act
    const result = await createHandler(lake)({ input: { batch_id: plan.batch_id, slice: 0 } });

    // Assess
    expect(result).toEqual({ slice: 0, lessons: 2, enriched: 0, no_account: 1, no_subscription: 1 });
  });

  it('refuses an input without the batch id, naming the task and the field', async () => {
    // Act
    const calling = createHandler(lake)({ input: { slice: 0 } });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('EnrichSlice: invalid input: input.batch_id is a required field');
  });

  it('refuses a slice index that is not an integer', async () => {
    // Act / Assess
    await expect(createHandler(lake)({ input: { batch_id: 'b1', slice: 0.5 } })).rejects.toThrow('EnrichSlice: invalid input: input.slice must be an integer');
  });
});
