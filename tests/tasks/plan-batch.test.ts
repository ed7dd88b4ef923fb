import { InvalidInputError } from '../../src/errors';
import { batchIdFor } from '../../src/pipeline/manifest';
import { createHandler } from '../../tasks/plan-batch/handler';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';

describe('PlanBatch handler', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it("plans a batch from the execution's input and returns pointers and counts", async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);

    // Act
    const plan = await createHandler(lake)({ run: { mode: 'scheduled' } });

    // Assess
    const raw = await lake.objects.get(rawKey(10, 'a'));
    expect(plan).toEqual({
      batch_id: batchIdFor('scheduled', [rawKey(10, 'a')]), mode: 'scheduled', object_count: 1, raw_bytes: raw.length, slices: [0],
      checkpoint_version: 1, resumed: false, planned_at: '2024-04-08T12:00:00.000Z', max_partitions_per_merge: 80,
      backlog_objects: 0, next_after: null,
    });
  });

  it('refuses an input without the run input, naming the task and the field', async () => {
    // Act
    const calling = createHandler(lake)({ mode: 'scheduled' });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('PlanBatch: invalid input: run is a required field');
  });

  it('refuses a bad run input, naming the field', async () => {
    // Act
    const calling = createHandler(lake)({ run: { mode: 'backfill', from: '7 April', to: '2024-04-07' } });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('invalid run input: from must be YYYY-MM-DD');
  });
});
