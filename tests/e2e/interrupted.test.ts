import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import type { RunSummary } from '../../src/pipeline/run-summary';

const BIN = join(__dirname, '..', '..', 'bin', 'eventlake.js');

async function cli(lake: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main([...args, '--lake', lake], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Starts `eventlake run` in its own process and sends `signal` once it has entered ValidateSlices. */
function interruptRun(lake: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', '--lake', lake], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && stderr.includes('→ ValidateSlices')) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve({ code, signal: sig, stderr }));
  });
}

describe('an interrupted or killed run never blocks the next one', () => {
  let lake: string;
  beforeEach(async () => {
    lake = await mkdtemp(join(tmpdir(), 'eventlake-interrupt-'));
    expect((await cli(lake, 'generate', '--events', '60000', '--hours', '2', '--start', '2024-04-07T10:00:00Z')).code).toBe(0);
  });
  afterEach(() => rm(lake, { recursive: true, force: true }));

  it('Ctrl-C releases the lease, names the pending batch and exits 130; the next run resumes it', async () => {
    const interrupted = await interruptRun(lake, 'SIGINT');

    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted by SIGINT: lease released; batch [0-9a-f]{32} stays pending/);
    expect(existsSync(join(lake, 'state', 'lease-microbatch.json'))).toBe(false);
    const next = await cli(lake, 'run', '--json');
    expect(next.code).toBe(0);
    expect(JSON.parse(next.out) as RunSummary).toMatchObject({ status: 'committed', resumed: true, inserted: 60000 });
  }, 120_000);

  it('after kill -9 the next run takes the lease at once (its holder is gone) and resumes the batch', async () => {
    const killed = await interruptRun(lake, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const status = JSON.parse((await cli(lake, 'status', '--json')).out) as { lease: { holder_gone: boolean; pid: number } | null };
    expect(status.lease).toMatchObject({ holder_gone: true });

    const next = await cli(lake, 'run', '--json');

    expect(next.code).toBe(0);
    expect(JSON.parse(next.out) as RunSummary).toMatchObject({ status: 'committed', resumed: true, inserted: 60000 });
  }, 120_000);
});
