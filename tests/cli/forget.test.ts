import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../src/adapters/local/file-state-store';
import { accountEvent, lessonEvent, makeTestLake, putRaw, rawKey, T0, userUuid } from '../helpers/lake';
import { runOk } from '../helpers/run';
import { cli } from './helpers';

const ROWS_OF = (user: string) => `SELECT count(*) AS n FROM events WHERE user_uuid = '${userUuid(user)}'`;

describe('eventlake forget', () => {
  let dir: string;
  jest.setTimeout(60_000);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-forget-cli-'));
    const lake = await makeTestLake({ dir });
    await putRaw(lake, rawKey(1, 'a'), [accountEvent('ann', T0, { country: 'FR' }), lessonEvent('ann', 'es', T0 + 9), accountEvent('bob', T0, { country: 'DE' })]);
    await runOk(lake);
    await lake.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 3 and removes nothing while a run holds the lease', async () => {
    const state = await FileStateStore.open(join(dir, 'state'));
    await state.acquireLease({ name: 'microbatch', owner: 'someone-else', nowMs: Date.now(), ttlMs: 60_000 });
    try {
      const result = await cli('forget', '--user', userUuid('ann'), '--lake', dir);
      expect(result.code).toBe(3);
      expect(result.err).toMatch(/forget skipped: another run holds the lease \(someone-else\); nothing was removed/);
      expect(JSON.parse((await cli('query', ROWS_OF('ann'), '--format', 'json', '--lake', dir)).out)).toEqual([{ n: 2 }]);
    } finally {
      await state.releaseLease('microbatch', 'someone-else');
    }
  });

  it('forgets the user (JSON report without the id), then a second forget has nothing to do', async () => {
    const first = await cli('forget', '--user', userUuid('ann').toUpperCase(), '--json', '--lake', dir);

    expect(first.code).toBe(0);
    expect(first.out).not.toContain(userUuid('ann'));
    expect(JSON.parse(first.out)).toMatchObject({ status: 'forgotten', removed: { curated_rows: 2, curated_partitions: 2, state_entities: 1 } });
    expect(JSON.parse((await cli('query', ROWS_OF('ann'), '--format', 'json', '--lake', dir)).out)).toEqual([{ n: 0 }]);
    expect(JSON.parse((await cli('query', ROWS_OF('bob'), '--format', 'json', '--lake', dir)).out)).toEqual([{ n: 1 }]);

    const second = await cli('forget', '--user', userUuid('ann'), '--lake', dir);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^nothing to do: this user was forgotten at .* and nothing of theirs is left \(record erasures\/log\/[0-9a-f]{64}\.json\)$/);
  });

  it.each([
    [['forget'], /required option '--user <uuid>' not specified/],
    [['forget', '--user', 'ann'], /option '--user <uuid>' argument 'ann' is invalid\. expected a user id: a UUID of 32 hex digits/],
  ])('%j exits 2 and says what to fix', async (args, message) => {
    const result = await cli(...args, '--lake', dir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});
