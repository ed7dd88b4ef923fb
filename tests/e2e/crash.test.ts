import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

const BIN = join(__dirname, '..', '..', 'bin', 'eventlake.js');
const GENERATE = ['generate', '--events', '15000', '--hours', '3', '--start', '2024-04-07T10:00:00Z', '--seed', '5'];

async function cli(lake: string, ...args: string[]) {
  const out: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: () => undefined };
  const code = await main([...args, '--lake', lake], io);
  return { code, out: out.join('\n') };
}

async function rows(lake: string): Promise<string[]> {
  const { out } = await cli(lake, 'query', 'SELECT * EXCLUDE (ingested_at) FROM events ORDER BY event_uuid', '--format', 'json');
  return (JSON.parse(out) as unknown[]).map((r) => JSON.stringify(r));
}

/**
 * Starts `eventlake run` in its own process and kills it (-9) `ms` after it printed `after` (a state's
 * progress line; '' = from the start); resolves with its exit.
 */
function runAndKill(lake: string, after: string, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', '--lake', lake], { stdio: ['ignore', 'ignore', 'pipe'] });
    let timer: NodeJS.Timeout | undefined;
    let stderr = '';
    const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), ms));
    if (after === '') arm();
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (after !== '' && stderr.includes(after)) arm();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/**
 * Deterministic kill moments (the same every run of the test): some at a random time from the start, some
 * a few random milliseconds into a late state, so kills land inside the merge and the commit too.
 */
function moments(seed: number): { after: string; ms: number }[] {
  let x = seed;
  const next = (max: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % max;
  };
  const late = ['→ ClassifyBatch', '→ MergeGroups', '→ CommitBatch', '→ CommitBatch', '→ VerifyBatch'];
  return [
    ...Array.from({ length: 3 }, () => ({ after: '', ms: 300 + next(4000) })),
    ...late.map((after) => ({ after, ms: next(after === '→ CommitBatch' ? 150 : 400) })),
  ];
}

describe('kill -9 at arbitrary moments (issue 7)', () => {
  let lake: string;
  let clean: string;
  beforeAll(async () => {
    [lake, clean] = await Promise.all([mkdtemp(join(tmpdir(), 'eventlake-crash-')), mkdtemp(join(tmpdir(), 'eventlake-clean-'))]);
    expect((await cli(lake, ...GENERATE)).code).toBe(0);
    expect((await cli(clean, ...GENERATE)).code).toBe(0);
    expect((await cli(clean, 'run')).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await rm(lake, { recursive: true, force: true });
    await rm(clean, { recursive: true, force: true });
  });

  it('leaves readers the old or the new table after every kill, needs no manual step, and ends equal to a clean run', async () => {
    const expected = await rows(clean);
    const visible: number[] = [];
    for (const { after, ms } of moments(7)) {
      const run = await runAndKill(lake, after, ms);
      // Killed, or finished first (then it committed, or found nothing to do): never skipped by a dead holder.
      expect(run.code === null ? run.signal : run.code).not.toBe(3);
      const now = (await rows(lake)).length;
      visible.push(now);
      expect([0, expected.length]).toContain(now);
    }

    const final = await cli(lake, 'run', '--json');

    expect(final.code).toBe(0);
    expect(await rows(lake)).toEqual(expected);
    expect(visible.length).toBe(8);
  }, 300_000);
});
