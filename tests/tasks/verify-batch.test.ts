import { InvalidInputError } from '../../src/errors';
import { createHandler } from '../../tasks/verify-batch/handler';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { mergedBatch, type DedupedBatch } from '../helpers/stages';

describe('VerifyBatch handler', () => {
  let lake: TestLake;
  let batch: DedupedBatch;
  let state: Record<string, unknown>;
  beforeEach(async () => {
    lake = await makeTestLake();
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), '{bad']);
    batch = await mergedBatch(lake);
    // The input as the state machine hands it over (batch, totals, dedup), through JSON as on AWS.
    state = JSON.parse(JSON.stringify({ batch: batch.plan, totals: batch.totals, dedup: batch.dedup })) as Record<string, unknown>;
  });
  afterEach(() => lake.cleanup());

  it('returns the verified run summary of the batch it is given', async () => {
    // Act
    const summary = await createHandler(lake)(state);

    // Assess
    expect(summary).toMatchObject({ status: 'committed', batch_id: batch.plan.batch_id, mode: 'scheduled', lines_read: 2, inserted: 1, quarantined: 1, committed_at: null });
  });

  it('refuses totals without the dedup horizon, naming the task and the field', async () => {
    // Prepare
    const totals: Record<string, unknown> = { ...batch.totals };
    delete totals.horizon_from;

    // Act
    const calling = createHandler(lake)({ ...state, totals });

    // Assess
    await expect(calling).rejects.toThrow(InvalidInputError);
    await expect(calling).rejects.toThrow('VerifyBatch: invalid input: totals.horizon_from is a required field');
  });

  it('lists every bad field at once', async () => {
    // Act
    const calling = createHandler(lake)({ ...state, batch: { ...batch.plan, mode: 'hourly' }, dedup: { ...batch.dedup, inserts: '1' } });

    // Assess
    await expect(calling).rejects.toThrow(/^VerifyBatch: invalid input: .*batch\.mode must be one of the following values: scheduled, backfill/);
    await expect(calling).rejects.toThrow(/dedup\.inserts must be a `number` type/);
  });
});
