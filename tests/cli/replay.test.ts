import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../src/adapters/local/file-state-store';
import { RUN_REPORT_KEYS } from '../../src/cli/run-report';
import { makeTestLake, otherEvent, putRaw, rawKey, T0 } from '../helpers/lake';
import { runOk } from '../helpers/run';
import { cli } from './helpers';

describe('eventlake replay', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-replay-cli-'));
    const lake = await makeTestLake({ dir });
    const misspelt = JSON.stringify(otherEvent(T0 + 1)).replace('"event_uuid":', '"event_uid":');
    await putRaw(lake, rawKey(9, 'a'), [otherEvent(T0), misspelt, 'not json']);
    await runOk(lake);
    await lake.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 3 and replays nothing while a run holds the lease', async () => {
    const state = await FileStateStore.open(join(dir, 'state'));
    await state.acquireLease({ name: 'microbatch', owner: 'someone-else', nowMs: Date.now(), ttlMs: 60_000 });
    try {
      const result = await cli('replay', '--lake', dir, '--json', '--transform', 'rename-event-uid');
      expect(result.code).toBe(3);
      expect(JSON.parse(result.out)).toMatchObject({ status: 'skipped', mode: 'replay', lease_holder: 'someone-else' });
    } finally {
      await state.releaseLease('microbatch', 'someone-else');
    }
  });

  it('prints the run report shape; the line a transform fixes is merged once, a second replay merges nothing', async () => {
    const first = await cli('replay', '--lake', dir, '--json', '--transform', 'rename-event-uid');
    const again = await cli('replay', '--lake', dir, '--json', '--transform', 'rename-event-uid');

    expect(first.code).toBe(0);
    const report = JSON.parse(first.out) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([...RUN_REPORT_KEYS]);
    expect(report).toMatchObject({ status: 'committed', mode: 'replay', lines_read: 2, inserted: 1, quarantined: 0, already_quarantined: 1 });
    expect(JSON.parse(again.out)).toMatchObject({ status: 'committed', mode: 'replay', lines_read: 1, inserted: 0, already_quarantined: 1 });
    const status = JSON.parse((await cli('status', '--lake', dir, '--json')).out) as { last_run: Record<string, unknown> };
    expect(status.last_run).toMatchObject({ mode: 'replay', batch_id: (JSON.parse(again.out) as { batch_id: string }).batch_id });
    const view = await cli('query', '--lake', dir, '--format', 'json', 'SELECT reason, replay_outcome FROM quarantine ORDER BY line_no');
    expect(JSON.parse(view.out)).toEqual([
      { reason: 'missing_field', replay_outcome: 'merged' },
      { reason: 'not_json', replay_outcome: 'still_invalid' },
    ]);
  });

  it('says for people how many lines stay quarantined, and when there is nothing to replay', async () => {
    const result = await cli('replay', '--lake', dir, '--reason', 'not_json');
    const none = await cli('replay', '--lake', dir, '--reason', 'too_deep');

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/\(replay\) committed at/);
    expect(result.out).toMatch(/ {2}still quarantined {4}1\n/);
    expect(none.out).toBe('nothing to do: no quarantined lines to replay');
  });

  it.each([
    [['--reason', 'unreadable_object'], /argument 'unreadable_object' is invalid/],
    [['--transform', 'rename-everything'], /argument 'rename-everything' is invalid/],
    [['--from', '2024-04-09', '--to', '2024-04-08'], /--from 2024-04-09 is after --to 2024-04-08/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const result = await cli('replay', '--lake', dir, ...args);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});
