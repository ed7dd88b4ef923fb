import { queryLake } from '../../src/cli/commands/query';
import { lessonEvent, makeTestLake, otherEvent, putRaw, T0, type TestLake, rawKey } from '../helpers/lake';
import { expectBalanced, runOk } from '../helpers/run';


describe('dedup on event_uuid', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('keeps one row for an exact duplicate within one object and counts it', async () => {
    const e = otherEvent(T0);
    await putRaw(lake, rawKey(10, 'a'), [e, e]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 1, duplicates_in_batch: 1, quarantined: 0 });
    expectBalanced(s);
  });

  it('keeps one row for an exact duplicate across two files of the same batch', async () => {
    const e = otherEvent(T0);
    await putRaw(lake, rawKey(10, 'a'), [e]);
    await putRaw(lake, rawKey(10, 'b'), [e]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 1, duplicates_in_batch: 1 });
    const [row] = await queryLake(lake, 'SELECT source_key FROM events');
    expect(row?.source_key).toBe(rawKey(10, 'a'));
  });

  it('treats a uuid differing only in letter case as the same event', async () => {
    const e = otherEvent(T0);
    await putRaw(lake, rawKey(10, 'a'), [e, { ...e, event_uuid: e.event_uuid.toUpperCase() }]);

    const s = await runOk(lake);

    expect(s.inserted).toBe(1);
    expect(s.inserted + s.duplicates_in_batch + s.quarantined).toBe(2);
  });

  it('counts an event already stored by an earlier batch as duplicates_existing and inserts nothing', async () => {
    const e = lessonEvent('u1', 'de', T0);
    await putRaw(lake, rawKey(10, 'a'), [e]);
    await runOk(lake);
    await putRaw(lake, rawKey(11, 'b'), [e, otherEvent(T0 + 3600)]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 1, duplicates_existing: 1, duplicates_in_batch: 0 });
    const [count] = await queryLake(lake, `SELECT count(*) AS n FROM events WHERE event_uuid = '${e.event_uuid}'`);
    expect(count?.n).toBe(1);
  });

  it('quarantines a same-uuid event with different content as duplicate_conflict, keeping the first', async () => {
    const first = otherEvent(T0);
    const second = { ...first, extra: 'changed' };
    await putRaw(lake, rawKey(10, 'a'), [first, second]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 1, quarantined: 1, quarantined_by_reason: { duplicate_conflict: 1 } });
    const [q] = await queryLake(lake, 'SELECT reason, line_no, raw_line FROM quarantine');
    expect(q).toMatchObject({ reason: 'duplicate_conflict', line_no: 2 });
    expect(String(q?.raw_line)).toContain('changed');
    expectBalanced(s);
  });

  it('quarantines a conflict with a row stored by an earlier batch', async () => {
    const first = otherEvent(T0);
    await putRaw(lake, rawKey(10, 'a'), [first]);
    await runOk(lake);
    await putRaw(lake, rawKey(11, 'b'), [{ ...first, created_at: T0 + 5 }]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 0, quarantined_by_reason: { duplicate_conflict: 1 } });
  });

  it('finds an exact duplicate of any age: a copy has the same date, so the horizon around it covers it', async () => {
    const old = otherEvent(T0 - 30 * 86400);
    await putRaw(lake, rawKey(10, 'a'), [old]);
    await runOk(lake);
    await putRaw(lake, rawKey(11, 'b'), [old]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 0, duplicates_existing: 1 });
  });

  it('does not look past the horizon for conflicts: the same uuid 30 days apart is inserted (documented trade-off)', async () => {
    const first = otherEvent(T0 - 30 * 86400);
    await putRaw(lake, rawKey(10, 'a'), [first]);
    await runOk(lake);
    await putRaw(lake, rawKey(11, 'b'), [{ ...first, created_at: T0 }]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 1, quarantined: 0 });
  });
});
