import { queryLake } from '../../src/cli/commands/query';
import { EventLakeError } from '../../src/errors';
import { Layout } from '../../src/ports/layout';
import { LocalOrchestrator, type LocalOrchestratorOptions } from '../../src/runtime/local-orchestrator';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { accountEvent, lessonEvent, subscriptionEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, userUuid, type TestLake } from '../helpers/lake';
import { curatedFingerprint, expectBalanced, noRetryWait, runOk } from '../helpers/run';
import { movableClock } from '../helpers/stages';

let n = 0;
function replay(lake: TestLake, input: Record<string, unknown>, options: LocalOrchestratorOptions = {}) {
  return new LocalOrchestrator(lake, { retryIntervalOverrides: noRetryWait(), ...options }).execute({
    name: `test-replay-${++n}`,
    input: { mode: 'replay', ...input },
  });
}

async function replayOk(lake: TestLake, input: Record<string, unknown> = {}): Promise<RunSummary> {
  const result = await replay(lake, input);
  if (result.status !== 'SUCCEEDED') throw new Error(`replay failed: ${result.error}: ${result.cause}`);
  return result.output as unknown as RunSummary;
}

/** The line as a sender with a misspelt envelope key would send it: `event_uid` instead of `event_uuid`. */
function misspelt(event: Record<string, unknown>): string {
  return JSON.stringify(event).replace('"event_uuid":', '"event_uid":');
}

const count = async (lake: TestLake, sql: string) => Number((await queryLake(lake, sql))[0]?.n);

describe('eventlake replay: quarantined lines re-validated under the current contract (issue 11)', () => {
  let lake: TestLake;
  let clock: ReturnType<typeof movableClock>;
  const stored = otherEvent(T0 + 5, 'app:opened');
  const lesson = lessonEvent('u1', 'es', T0 + 60);
  beforeEach(async () => {
    clock = movableClock('2024-04-08T12:00:00Z');
    lake = await makeTestLake({ clock });
    await putRaw(lake, rawKey(9, 'a'), [
      accountEvent('u1', T0, { country: 'PT' }), // 1: stored
      misspelt(lesson), // 2: missing_field, fixed by rename-event-uid: merged, enriched as of its own time
      'not json', // 3: not_json, stays
      JSON.stringify(otherEvent(T0 + 3)).replace('"created_at":', '"createdAt":'), // 4: missing_field, another fix
      stored, // 5: stored
      misspelt(stored), // 6: missing_field; once fixed, an exact copy of line 5: a duplicate
      misspelt({ ...stored, event_name: 'app:closed' }), // 7: missing_field; once fixed, a conflict with line 5
      subscriptionEvent('u1', 'es', T0 + 30, { subscription_type: 'premium', subscription_status: 'active' }), // 8: before the lesson
      subscriptionEvent('u1', 'es', T0 + 600, { subscription_status: 'cancelled' }), // 9: after it
    ]);
  });
  afterEach(() => lake.cleanup());

  it('merges the lines a documented transform fixes exactly once, and a second replay changes nothing', async () => {
    const first = await runOk(lake);
    expect(first).toMatchObject({ inserted: 4, quarantined: 5, quarantined_by_reason: { not_json: 1, missing_field: 4 } });

    clock.at += 3_600_000;
    const replay = await replayOk(lake, { transform: 'rename-event-uid' });

    expect(replay).toMatchObject({
      status: 'committed', mode: 'replay', lines_read: 5, inserted: 1, duplicates_existing: 1, duplicates_in_batch: 0,
      quarantined: 0, already_quarantined: 3, enriched: 1,
    });
    expectBalanced(replay);
    expect(await count(lake, 'SELECT count(*) AS n FROM events')).toBe(5);
    const [row] = await queryLake(lake, `SELECT * FROM events WHERE event_uuid = '${lesson.event_uuid}'`);
    expect(row).toMatchObject({
      user_uuid: userUuid('u1'), country: 'PT', subscription_type: 'premium', subscription_status: 'active', enrichment_status: 'enriched', source_key: rawKey(9, 'a'), batch_id: replay.batch_id,
    });
    expect(JSON.parse(String(row?.payload))).toEqual(lesson);

    const view = await queryLake(lake, 'SELECT line_no, reason, replay_outcome, replayed_at, replay_batch_id FROM quarantine ORDER BY line_no');
    expect(view).toEqual([
      { line_no: 2, reason: 'missing_field', replay_outcome: 'merged', replayed_at: '2024-04-08T13:00:00.000Z', replay_batch_id: replay.batch_id },
      { line_no: 3, reason: 'not_json', replay_outcome: 'still_invalid', replayed_at: '2024-04-08T13:00:00.000Z', replay_batch_id: replay.batch_id },
      { line_no: 4, reason: 'missing_field', replay_outcome: 'still_invalid', replayed_at: '2024-04-08T13:00:00.000Z', replay_batch_id: replay.batch_id },
      { line_no: 6, reason: 'missing_field', replay_outcome: 'duplicate', replayed_at: '2024-04-08T13:00:00.000Z', replay_batch_id: replay.batch_id },
      { line_no: 7, reason: 'missing_field', replay_outcome: 'conflict', replayed_at: '2024-04-08T13:00:00.000Z', replay_batch_id: replay.batch_id },
    ]);

    const table = await curatedFingerprint(lake);
    clock.at += 3_600_000;
    const again = await replayOk(lake, { transform: 'rename-event-uid' });

    // Only the lines still quarantined are checked again; nothing is inserted nor recorded again.
    expect(again).toMatchObject({ status: 'committed', lines_read: 3, inserted: 0, duplicates_existing: 0, quarantined: 0, already_quarantined: 3 });
    expectBalanced(again);
    expect(await curatedFingerprint(lake)).toEqual(table);
    expect(await count(lake, 'SELECT count(*) AS n FROM events')).toBe(5);
    expect(await count(lake, 'SELECT count(*) AS n FROM quarantine')).toBe(5);
    expect(await count(lake, "SELECT count(*) AS n FROM quarantine WHERE replay_outcome = 'merged'")).toBe(1);
  });

  it('without a transform re-checks the lines as they are: under an unchanged contract nothing passes', async () => {
    await runOk(lake);

    const replay = await replayOk(lake);

    expect(replay).toMatchObject({ status: 'committed', lines_read: 5, inserted: 0, quarantined: 0, already_quarantined: 5 });
    expect(await count(lake, 'SELECT count(*) AS n FROM events')).toBe(4);
  });

  it('selects records by --reason and by the day they were quarantined (--from/--to)', async () => {
    await runOk(lake);
    clock.at += 24 * 3_600_000; // 2024-04-09
    await putRaw(lake, rawKey(11, 'b'), [misspelt(otherEvent(T0 + 7)), '[1]']);
    const second = await runOk(lake);
    expect(second.quarantined).toBe(2);

    const byReason = await replayOk(lake, { reason: 'not_json' });
    expect(byReason).toMatchObject({ lines_read: 1, inserted: 0, already_quarantined: 1 });

    const byDay = await replayOk(lake, { from: '2024-04-09', to: '2024-04-09', transform: 'rename-event-uid' });
    expect(byDay).toMatchObject({ lines_read: 2, inserted: 1, already_quarantined: 1 });
    expect(await count(lake, "SELECT count(*) AS n FROM quarantine WHERE replay_outcome = 'merged'")).toBe(1);
    expect(await count(lake, "SELECT count(*) AS n FROM quarantine WHERE source_key LIKE '%-a.gz' AND replay_outcome IS NOT NULL")).toBe(1);
  });

  it.each(['ValidateSlice', 'DedupBatch', 'MergeGroup', 'VerifyBatch', 'CommitBatch'])(
    'a replay killed at %s resumes the same batch on the next replay: merged once, and the next one changes nothing',
    async (stateName) => {
      await runOk(lake);
      const killed = await replay(lake, { transform: 'rename-event-uid' }, {
        handlerOverrides: { [stateName]: () => Promise.reject(new EventLakeError('Test.Killed', `killed at ${stateName}`)) },
      });
      expect(killed).toMatchObject({ status: 'FAILED', error: 'Test.Killed' });

      const resumed = await replayOk(lake, { transform: 'rename-event-uid' });

      expect(resumed).toMatchObject({ status: 'committed', resumed: true, lines_read: 5, inserted: 1, duplicates_existing: 1, already_quarantined: 3, quarantined: 0 });
      expect(await count(lake, 'SELECT count(*) AS n FROM events')).toBe(5);
      expect(await replayOk(lake, { transform: 'rename-event-uid' })).toMatchObject({ resumed: false, lines_read: 3, inserted: 0 });
      expect(await count(lake, 'SELECT count(*) AS n FROM events')).toBe(5);
    },
  );

  it('a replay killed after publishing its rows but before the checkpoint moved counts them as merged when it resumes', async () => {
    await runOk(lake);
    const publishThenDie = async (event: unknown) => {
      const batchId = (event as { batch: { batch_id: string } }).batch.batch_id;
      const pending = Layout.curatedPending(batchId);
      for await (const o of lake.objects.list(pending)) await lake.objects.move(o.key, Layout.curatedEvents + o.key.slice(pending.length));
      throw new EventLakeError('Test.Killed', 'killed between publish and checkpoint');
    };
    expect((await replay(lake, { transform: 'rename-event-uid' }, { handlerOverrides: { CommitBatch: publishThenDie } })).status).toBe('FAILED');

    const resumed = await replayOk(lake, { transform: 'rename-event-uid' });

    expect(resumed).toMatchObject({ resumed: true, inserted: 1, duplicates_existing: 1, already_quarantined: 3 });
    expect(await count(lake, "SELECT count(*) AS n FROM quarantine WHERE replay_outcome = 'merged'")).toBe(1);
    expect(await count(lake, 'SELECT count(*) AS n FROM events')).toBe(5);
  });

  it('has nothing to do when no quarantined line is selected', async () => {
    await runOk(lake);

    const replay = await replayOk(lake, { reason: 'too_deep' });

    expect(replay).toMatchObject({ status: 'nothing_to_do', mode: 'replay', lines_read: 0 });
  });
});
