import { InvalidInputError } from '../../src/errors';
import { Layout } from '../../src/ports/layout';
import { createHandler } from '../../tasks/commit-batch/handler';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { verifiedBatch, type VerifiedBatch } from '../helpers/stages';

describe('CommitBatch handler', () => {
  let lake: TestLake;
  let batch: VerifiedBatch;
  let state: Record<string, unknown>;
  beforeEach(async () => {
    lake = await makeTestLake();
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    batch = await verifiedBatch(lake);
    state = JSON.parse(JSON.stringify({ batch: batch.plan, verify: batch.summary })) as Record<string, unknown>;
  });
  afterEach(() => lake.cleanup());

  it('commits the batch it is given and returns the summary with its commit time', async () => {
    // Act
    const summary = await createHandler(lake)(state);

    // Assess
    expect(summary).toEqual({ ...batch.summary, committed_at: '2024-04-08T12:00:00.000Z' });
    expect(await lake.objects.exists(Layout.committedMarker(batch.plan.batch_id))).toBe(true);
    expect(await lake.state.getCheckpoint('microbatch')).toMatchObject({ version: 2, lastBatchId: batch.plan.batch_id });
  });

  it('refuses a negative checkpoint version, naming the task and the field, and commits nothing', async () => {
    // Act
    const calling = createHandler(lake)({ ...state, batch: { ...batch.plan, checkpoint_version: -1 } });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('CommitBatch: invalid input: batch.checkpoint_version must be greater than or equal to 0');
    expect(await lake.objects.exists(Layout.committedMarker(batch.plan.batch_id))).toBe(false);
  });

  it('refuses an input without the verify result', async () => {
    // Prepare
    const withoutVerify = { ...state };
    delete withoutVerify.verify;

    // Act / Assess
    await expect(createHandler(lake)(withoutVerify)).rejects.toThrow('CommitBatch: invalid input: verify is a required field');
  });
});
