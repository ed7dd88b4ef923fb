import { InvalidInputError } from '../../src/errors';
import { Layout } from '../../src/ports/layout';
import { createHandler } from '../../tasks/validate-slice/handler';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { planOn } from '../helpers/stages';

describe('ValidateSlice handler', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('validates the slice a Map iteration names and returns its counts', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), '{bad']);
    const plan = await planOn(lake);

    // Act
    const result = await createHandler(lake)({ input: { batch_id: plan.batch_id, slice: 0 } });

    // Assess
    expect(result).toEqual({
      slice: 0, objects: 1, lines_read: 2, blank_lines: 0, quarantined: 1, quarantined_by_reason: { not_json: 1 },
      already_quarantined: 0, staged_final: 1, staged_lessons: 0, state_versions: 0, date_min: '2024-04-07', date_max: '2024-04-07',
    });
    expect(await lake.objects.exists(Layout.sliceResult(plan.batch_id, 0))).toBe(true);
  });

  it('refuses a negative slice index, naming the task and the field', async () => {
    // Act
    const calling = createHandler(lake)({ input: { batch_id: 'b1', slice: -1 } });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('ValidateSlice: invalid input: input.slice must be greater than or equal to 0');
  });

  it('refuses the iteration input unwrapped (no `input`), naming the field', async () => {
    // Act / Assess
    await expect(createHandler(lake)({ batch_id: 'b1', slice: 0 })).rejects.toThrow('ValidateSlice: invalid input: input is a required field');
  });
});
