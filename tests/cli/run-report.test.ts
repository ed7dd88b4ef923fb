import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../src/adapters/local/file-state-store';
import { RUN_REPORT_KEYS, type RunReport } from '../../src/cli/run-report';
import { BIN, cli } from './helpers';

const COUNT_KEYS = ['objects_read', 'lines_read', 'blank_lines', 'inserted', 'duplicates_in_batch', 'duplicates_existing', 'quarantined', 'already_quarantined', 'erased', 'enriched', 'no_account', 'no_subscription', 'partitions', 'merge_groups', 'backlog_objects'] as const;

/** Pids of this machine's processes whose environment holds `entry` (Linux /proc; a process gone meanwhile is skipped). */
function processesWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`).toString('utf8').split('\0').includes(entry)) found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function parseReport(text: string): RunReport {
  const report = JSON.parse(text) as RunReport;
  expect(Object.keys(report).sort()).toEqual([...RUN_REPORT_KEYS].sort());
  return report;
}

describe('run / backfill --json: one shape whatever happened', () => {
  let dir: string;
  let lake: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-report-'));
    lake = join(dir, 'lake');
    expect((await cli('generate', '--events', '500', '--start', '2024-04-07T00:00:00Z', '--hours', '1', '--lake', lake)).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('committed, then nothing_to_do (batch_id null, counts zero), then skipped (counts null, lease_holder)', async () => {
    const committed = await cli('run', '--json', '--lake', lake);
    const nothing = await cli('run', '--json', '--lake', lake);
    const state = await FileStateStore.open(join(lake, 'state'));
    await state.acquireLease({ name: 'microbatch', owner: 'someone-else', nowMs: Date.now(), ttlMs: 60_000 });
    let skipped;
    try {
      skipped = await cli('run', '--json', '--lake', lake);
    } finally {
      await state.releaseLease('microbatch', 'someone-else');
    }

    expect(committed.code).toBe(0);
    expect(parseReport(committed.out)).toMatchObject({ status: 'committed', mode: 'scheduled', batch_id: expect.stringMatching(/^[0-9a-f]{32}$/) as string, error: null, lease_holder: null });
    expect(nothing.code).toBe(0);
    const n = parseReport(nothing.out);
    expect(n).toMatchObject({ status: 'nothing_to_do', batch_id: null, committed_at: null, execution: expect.stringMatching(/^scheduled-/) as string });
    for (const key of COUNT_KEYS) expect(n[key]).toBe(0);
    expect(skipped.code).toBe(3);
    const s = parseReport(skipped.out);
    expect(s).toMatchObject({ status: 'skipped', lease_holder: 'someone-else', batch_id: null, quarantined_by_reason: null });
    for (const key of COUNT_KEYS) expect(s[key]).toBeNull();
  });

  it('status is for people by default, JSON with --json, and its last_run includes backfills', async () => {
    const backfill = await cli('backfill', '--from', '2024-04-07', '--to', '2024-04-07', '--json', '--lake', lake);
    const human = await cli('status', '--lake', lake);
    const json = await cli('status', '--json', '--lake', lake);

    expect(backfill.code).toBe(0);
    const b = parseReport(backfill.out);
    expect(b).toMatchObject({ status: 'committed', mode: 'backfill' });
    expect(human.out).toMatch(/^lake {17}/);
    expect(human.out).toContain(`last run             batch ${b.batch_id} (backfill) committed at ${b.committed_at}`);
    expect(() => JSON.parse(human.out) as unknown).toThrow();
    expect(JSON.parse(json.out)).toMatchObject({ last_run: { batch_id: b.batch_id, mode: 'backfill' } });
  });

  it('Ctrl-C during run --json prints the interrupted report on stdout and exits 130, its slice workers gone before it', async () => {
    const big = join(dir, 'big');
    expect((await cli('generate', '--events', '30000', '--start', '2024-04-07T00:00:00Z', '--hours', '2', '--lake', big)).code).toBe(0);
    // Marks the run and the slice workers it forks (they inherit its environment).
    const tagValue = randomBytes(8).toString('hex');
    const tag = `EVENTLAKE_TEST_RUN=${tagValue}`;
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'run', '--json', '--lake', big], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, EVENTLAKE_TEST_RUN: tagValue },
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('→ ValidateSlices') && !child.killed) child.kill('SIGINT');
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout }));
    });

    expect(processesWithEnv(tag)).toEqual([]);
    expect(result.code).toBe(130);
    const report = parseReport(result.stdout);
    expect(report).toMatchObject({ status: 'interrupted', error: 'SIGINT', inserted: null, execution: expect.stringMatching(/^scheduled-/) as string });
    expect(report.cause).toMatch(/^lease released; batch [0-9a-f]{32} stays pending/);
  }, 120_000);
});
