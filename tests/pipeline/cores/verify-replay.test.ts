import { ConservationError } from '../../../src/errors';
import { Layout } from '../../../src/ports/layout';
import { verifyBatch, type VerifyInput } from '../../../src/pipeline/verify-batch';
import { makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../../helpers/lake';
import { runOk } from '../../helpers/run';
import { mergedBatch, type DedupedBatch } from '../../helpers/stages';

function verifyInput({ plan, totals, dedup }: DedupedBatch): VerifyInput {
  return { batchId: plan.batch_id, mode: plan.mode, resumed: plan.resumed, backlogObjects: plan.backlog_objects, nextAfter: plan.next_after, totals, dedup };
}

/** A line whose envelope key is misspelt (`event_uid`), which the rename-event-uid transform fixes. */
const misspelt = (at: number) => JSON.stringify(otherEvent(at)).replace('"event_uuid":', '"event_uid":');

describe('verifyBatch of a replay: every planned quarantined line is accounted for', () => {
  let lake: TestLake;
  let batch: DedupedBatch;
  beforeEach(async () => {
    lake = await makeTestLake();
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), misspelt(T0 + 1), 'not json', misspelt(T0 + 2), '[1]']);
    await runOk(lake);
    batch = await mergedBatch(lake, { mode: 'replay', transform: 'rename-event-uid' });
  });
  afterEach(() => lake.cleanup());

  it('passes when every planned line has one outcome', async () => {
    const summary = await verifyBatch(lake, verifyInput(batch));

    expect(summary).toMatchObject({ mode: 'replay', lines_read: 4, inserted: 2, already_quarantined: 2, quarantined: 0 });
  });

  it('fails when a planned line was never read, even though the counts still balance', async () => {
    // A slice that skipped a record: one line fewer read, and one fewer still quarantined.
    const totals = { ...batch.totals, lines_read: batch.totals.lines_read - 1, already_quarantined: batch.totals.already_quarantined - 1 };

    const verifying = verifyBatch(lake, { ...verifyInput(batch), totals });

    await expect(verifying).rejects.toThrow(ConservationError);
    await expect(verifying).rejects.toThrow('the replay planned 4 quarantined lines but read 3');
  });

  it('fails when a planned line has no recorded outcome', async () => {
    const key = Layout.replayOutcomes(batch.plan.batch_id);
    const lines = (await lake.objects.get(key)).toString('utf8').split('\n').filter((l) => l !== '');
    await lake.objects.put(key, `${lines.slice(1).join('\n')}\n`);

    const verifying = verifyBatch(lake, verifyInput(batch));

    await expect(verifying).rejects.toThrow('the replay recorded 3 distinct outcomes (3 lines) for 4 planned lines');
  });
});
