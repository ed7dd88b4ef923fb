import { InvalidInputError } from '../../src/errors';
import { createHandler } from '../../tasks/summarize-slices/handler';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { planOn, validateAll } from '../helpers/stages';

describe('SummarizeSlices handler', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake({ config: { sliceMaxBytes: 1 } });
  });
  afterEach(() => lake.cleanup());

  it('returns the batch totals of the batch it names', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    await putRaw(lake, rawKey(10, 'b'), [otherEvent(T0), '']);
    const plan = await planOn(lake);
    await validateAll(lake, plan);

    // Act
    const totals = await createHandler(lake)({ batch_id: plan.batch_id });

    // Assess
    expect(totals).toEqual({
      slices: 2, objects: 2, lines_read: 3, blank_lines: 1, quarantined: 0, quarantined_by_reason: {}, already_quarantined: 0,
      staged_rows: 2, date_min: '2024-04-07', date_max: '2024-04-07', horizon_from: '2024-03-31', horizon_to: '2024-04-14',
    });
  });

  it('refuses a batch id that is not a string, naming the task and the field', async () => {
    // Act
    const calling = createHandler(lake)({ batch_id: 42 });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow(/^SummarizeSlices: invalid input: batch_id must be a `string` type/);
  });
});
