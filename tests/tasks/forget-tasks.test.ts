import { InvalidInputError } from '../../src/errors';
import { readErasure } from '../../src/pipeline/erasure-log';
import type { ForgetBegun } from '../../src/pipeline/forget-execution';
import { acquireLease } from '../../src/pipeline/lease';
import { createHandler as beginForget } from '../../tasks/begin-forget/handler';
import { createHandler as finishForget } from '../../tasks/finish-forget/handler';
import { accountEvent, lessonEvent, makeTestLake, putRaw, rawKey, T0, userUuid, type TestLake } from '../helpers/lake';
import { runOk } from '../helpers/run';

/** The forget state machine's two tasks (state-machines/forget.asl.json) on a local lake. */
describe('BeginForget / FinishForget handlers', () => {
  let lake: TestLake;
  const lease = { acquired: true, owner: 'forget-1', holder: null };
  beforeEach(async () => {
    lake = await makeTestLake();
    await putRaw(lake, rawKey(10, 'a'), [accountEvent('gone', T0), lessonEvent('gone', 'es', T0 + 60), lessonEvent('kept', 'es', T0 + 60)]);
    await runOk(lake);
    await acquireLease(lake, 'forget-1');
  });
  afterEach(() => lake.cleanup());

  it('BeginForget refuses an id that is not a UUID before writing anything (the DELETE formats it into SQL)', async () => {
    await expect(beginForget(lake)({ user: "x' OR '1'='1" })).rejects.toThrow(InvalidInputError);
    expect(await lake.objects.exists('erasures/salt.json')).toBe(false);
  });

  it('BeginForget writes the record first and counts the curated rows; FinishForget completes it and frees the lease', async () => {
    const begun = await beginForget(lake)({ user: userUuid('gone').toUpperCase() });

    expect(begun).toMatchObject({ user_uuid: userUuid('gone'), curated_rows: 2, curated_partitions: 2, completed_before: null });
    expect(await readErasure(lake.objects, begun.user_hash)).toMatchObject({ completed_at: null });

    const summary = await finishForget(lake)({ lease, forget: begun });

    expect(summary).toMatchObject({ status: 'forgotten', error: null, removed: { curated_rows: 2, state_entities: 1, staging_rows: 0 } });
    expect((await readErasure(lake.objects, begun.user_hash))?.completed_at).toMatch(/^2024-/);
    expect(await lake.state.describeLease('microbatch')).toBeUndefined();
  });

  it('ReleaseLeaseAfterFailure frees the lease and leaves the record incomplete', async () => {
    const begun: ForgetBegun = await beginForget(lake)({ user: userUuid('gone') });

    const summary = await finishForget(lake)({ lease, forget: begun, error: { Error: 'States.TaskFailed', Cause: 'ICEBERG_COMMIT_ERROR' } });

    expect(summary).toMatchObject({ status: 'failed', error: 'States.TaskFailed: ICEBERG_COMMIT_ERROR' });
    expect(await readErasure(lake.objects, begun.user_hash)).toMatchObject({ completed_at: null });
    expect(await lake.state.describeLease('microbatch')).toBeUndefined();
  });
});
