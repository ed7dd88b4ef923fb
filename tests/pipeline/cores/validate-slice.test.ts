import { gzipSync } from 'node:zlib';
import { Layout } from '../../../src/ports/layout';
import { validateSlice, VERSION_WRITE_CHUNK } from '../../../src/pipeline/validate-slice';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, userUuid, type TestLake } from '../../helpers/lake';
import { keysUnder, ndjson, stagedRows, planOn, sliceRef } from '../../helpers/stages';

describe('validateSlice', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('stages valid lines, quarantines bad ones, counts blanks, stores user state and writes its result object', async () => {
    // Prepare
    const account = accountEvent('u1', T0, { country: 'DE' });
    const lesson = lessonEvent('u1', 'de', T0 + 60);
    const other = otherEvent(T0 + 120);
    const key = await putRaw(lake, rawKey(10, 'a'), [account, lesson, '', '{not json', other]);
    const plan = await planOn(lake);

    // Act
    const result = await validateSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(result).toEqual({
      slice: 0, objects: 1, lines_read: 5, blank_lines: 1, quarantined: 1, quarantined_by_reason: { not_json: 1 },
      already_quarantined: 0, staged_final: 2, staged_lessons: 1, state_versions: 1, date_min: '2024-04-07', date_max: '2024-04-07',
    });
    expect(JSON.parse((await lake.objects.get(Layout.sliceResult(plan.batch_id, 0))).toString('utf8'))).toEqual(result);
    const final = await stagedRows(lake, Layout.stagedFinal(plan.batch_id, 0).key(0));
    expect(final.map((r) => [r.event_uuid, r.source_key, r.line_no])).toEqual([[account.event_uuid, key, 1], [other.event_uuid, key, 5]]);
    const lessons = await stagedRows(lake, Layout.stagedLessons(plan.batch_id, 0).key(0));
    expect(lessons.map((r) => r.event_uuid)).toEqual([lesson.event_uuid]);
    const [record] = await ndjson(lake, Layout.quarantineSlice(plan.batch_id, 0).key(0));
    expect(record).toMatchObject({ batch_id: plan.batch_id, source_key: key, line_no: 4, reason: 'not_json', raw_line: '{not json', quarantined_at: plan.planned_at });
    const versions = await lake.state.getVersions([`account#${userUuid('u1')}`]);
    expect(versions.get(`account#${userUuid('u1')}`)).toEqual([{ eventUuid: account.event_uuid, createdAt: T0, fields: { country: 'DE' } }]);
  });

  it('quarantines a truncated gzip object whole, as one line, rolling back what it staged', async () => {
    // Prepare
    const good = await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const body = gzipSync(`${JSON.stringify(accountEvent('u2', T0, { country: 'FR' }))}\n`.repeat(50));
    const broken = rawKey(10, 'b');
    await lake.objects.put(broken, body.subarray(0, body.length - 12));
    const plan = await planOn(lake);

    // Act
    const result = await validateSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(result).toMatchObject({ objects: 2, lines_read: 2, quarantined: 1, quarantined_by_reason: { unreadable_object: 1 }, staged_final: 1, state_versions: 0 });
    const [record] = await ndjson(lake, Layout.quarantineSlice(plan.batch_id, 0).key(0));
    expect(record).toMatchObject({ source_key: broken, line_no: null, reason: 'unreadable_object' });
    expect((await stagedRows(lake, Layout.stagedFinal(plan.batch_id, 0).key(0))).map((r) => r.source_key)).toEqual([good]);
    expect((await lake.state.getVersions([`account#${userUuid('u2')}`])).size).toBe(0);
  });

  it('quarantines an object that vanished since planning as object_vanished', async () => {
    // Prepare
    const gone = await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const plan = await planOn(lake);
    await lake.objects.delete(gone);

    // Act
    const result = await validateSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(result).toMatchObject({ lines_read: 1, quarantined: 1, quarantined_by_reason: { object_vanished: 1 }, staged_final: 0, date_min: null, date_max: null });
  });

  it('counts the bad lines of a reprocessed object as already quarantined, writing no record', async () => {
    // Prepare
    const key = await putRaw(lake, rawKey(10, 'a'), ['{not json', otherEvent(T0)]);
    await lake.state.putCheckpoint({ name: 'microbatch', expectedVersion: 0, processedKeys: [key] });
    const plan = await planOn(lake, { mode: 'backfill', from: '2024-04-07', to: '2024-04-07' });

    // Act
    const result = await validateSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(result).toMatchObject({ lines_read: 2, quarantined: 0, already_quarantined: 1, staged_final: 1 });
    expect(await ndjson(lake, Layout.quarantineSlice(plan.batch_id, 0).key(0))).toEqual([]);
  });

  it('overwrites its own outputs when retried, leaving the same files', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), '{bad']);
    const plan = await planOn(lake);
    const first = await validateSlice(lake, sliceRef(plan.batch_id, 0));
    const keys = await keysUnder(lake, 'staging/');

    // Act
    const second = await validateSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(second).toEqual(first);
    expect(await keysUnder(lake, 'staging/')).toEqual(keys);
  });

  it('applies a slice\'s user-state versions a chunk at a time, so its memory holds at most one chunk of them', async () => {
    // Prepare: more account events (each of its own user, so none folds away) than two chunks hold.
    const users = 2 * VERSION_WRITE_CHUNK + 5000;
    await putRaw(lake, rawKey(10, 'a'), Array.from({ length: users }, (_, n) => accountEvent(`u${n}`, T0 + n, { country: 'DE' })));
    const plan = await planOn(lake);
    const putVersions = jest.spyOn(lake.state, 'putVersions');

    // Act
    const result = await validateSlice(lake, sliceRef(plan.batch_id, 0));

    // Assess
    expect(result.state_versions).toBe(users);
    expect(putVersions.mock.calls.map(([writes]) => writes.length)).toEqual([VERSION_WRITE_CHUNK, VERSION_WRITE_CHUNK, 5000]);
    const last = `account#${userUuid(`u${users - 1}`)}`;
    expect((await lake.state.getVersions([last])).get(last)).toEqual([expect.objectContaining({ createdAt: T0 + users - 1, fields: { country: 'DE' } })]);
  });

  it('refuses a slice index the manifest does not have', async () => {
    // Prepare
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0)]);
    const plan = await planOn(lake);

    // Act / Assess
    await expect(validateSlice(lake, sliceRef(plan.batch_id, 1))).rejects.toThrow(new RangeError(`batch ${plan.batch_id} has no slice 1`));
  });
});
