import { InvalidInputError } from '../../src/errors';
import { createHandler } from '../../tasks/dedup-batch/handler';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { classifyOn, stageBatch } from '../helpers/stages';

describe('DedupBatch handler', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('returns the class counts and merge groups of the batch it names', async () => {
    // Prepare
    const e = otherEvent(T0);
    await putRaw(lake, rawKey(10, 'a'), [e, e]);
    const staged = await stageBatch(lake);
    await classifyOn(lake, staged);

    // Act
    const dedup = await createHandler(lake)({ batch_id: staged.plan.batch_id });

    // Assess
    expect(dedup).toEqual({
      staged_rows: 2, inserts: 1, already_inserted: 0, duplicates_in_batch: 1, duplicates_existing: 0, conflicts: 0, erased: 0,
      already_quarantined: 0, enriched: 0, no_account: 0, no_subscription: 0, partitions: 1,
      groups: [{ group: 0, type_min: 'app', type_max: 'app', date_min: '2024-04-07', date_max: '2024-04-07' }],
    });
  });

  it('refuses an input without the batch id, naming the task and the field', async () => {
    // Act
    const calling = createHandler(lake)({ batch: { batch_id: 'b1' } });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('DedupBatch: invalid input: batch_id is a required field');
  });
});
