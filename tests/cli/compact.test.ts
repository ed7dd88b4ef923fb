import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../src/adapters/local/file-state-store';
import { Layout } from '../../src/ports/layout';
import { makeTestLake, otherEvent, putRaw, rawKey, T0 } from '../helpers/lake';
import { runOk } from '../helpers/run';
import { cli } from './helpers';

const COUNTS = 'SELECT event_type, event_date, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL';

describe('eventlake compact', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-compact-cli-'));
    const lake = await makeTestLake({ dir });
    for (let run = 0; run < 3; run++) {
      await putRaw(lake, rawKey(run, `r${run}`), [otherEvent(T0 + run, 'app:opened'), otherEvent(T0 - 86_400 + run, 'app:opened')]);
      await runOk(lake);
    }
    await lake.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function fileCount(): Promise<number> {
    const lake = await makeTestLake({ dir });
    let n = 0;
    for await (const info of lake.objects.list(Layout.curatedEvents)) if (info.key.endsWith('.parquet')) n++;
    await lake.close();
    return n;
  }

  it('exits 3 and changes nothing while a run holds the lease', async () => {
    const state = await FileStateStore.open(join(dir, 'state'));
    await state.acquireLease({ name: 'microbatch', owner: 'someone-else', nowMs: Date.now(), ttlMs: 60_000 });
    try {
      const result = await cli('compact', '--lake', dir);
      expect(result.code).toBe(3);
      expect(result.err).toMatch(/compact skipped: another run holds the lease \(someone-else\)/);
      expect(await fileCount()).toBe(6);
    } finally {
      await state.releaseLease('microbatch', 'someone-else');
    }
  });

  it('compacts each partition into one file, answers the same, and a second compact changes nothing', async () => {
    const before = await cli('query', COUNTS, '--format', 'json', '--lake', dir);
    const first = await cli('compact', '--json', '--lake', dir);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ status: 'compacted', partitions_scanned: 2, partitions_compacted: 2, files_before: 6, files_after: 2, target_bytes: 128 * 1024 * 1024 });
    expect(await fileCount()).toBe(2);
    expect((await cli('query', COUNTS, '--format', 'json', '--lake', dir)).out).toBe(before.out);

    const second = await cli('compact', '--lake', dir);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^compacted 0 of 2 partitions: 0 files -> 0 \(target 128 MiB\)/);
  });

  it.each([
    [['compact', '--from', '2024-04-08', '--to', '2024-04-07'], /--from 2024-04-08 is after --to 2024-04-07/],
    [['compact', '--target-mib', '0'], /option '--target-mib <n>' argument '0' is invalid\. expected a whole number >= 1/],
    [['compact', '--to', '2024-02-30'], /option '--to <date>' argument '2024-02-30' is invalid/],
  ])('%j exits 2 and says what to fix', async (args, message) => {
    const result = await cli(...args, '--lake', dir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});
