import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { otherEvent, T0 } from '../helpers/lake';

const BIN = join(__dirname, '..', '..', 'bin', 'eventlake.js');
/** Only a safety net against a child that never exits; the test asserts that it exits on its own. */
const SAFETY_NET_MS = 120_000;

const silent: CliIo = { out: () => undefined, err: () => undefined };

function runChild(lake: string): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  killedBySafetyNet: boolean;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', '--lake', lake], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let killedBySafetyNet = false;
    const net = setTimeout(() => {
      killedBySafetyNet = true;
      child.kill('SIGKILL');
    }, SAFETY_NET_MS);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(net);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(net);
      resolve({ code, signal, stderr, killedBySafetyNet });
    });
  });
}

describe('a failed `eventlake run`', () => {
  let lake: string;
  beforeEach(async () => {
    lake = await mkdtemp(join(tmpdir(), 'eventlake-failed-run-'));
  });
  afterEach(() => rm(lake, { recursive: true, force: true }));

  it(
    'exits with code 1 on its own while other slices were still long from done',
    async () => {
      const generate = ['generate', '--events', '300000', '--hours', '1', '--start', '2024-04-07T10:00:00Z'];
      expect(await main([...generate, '--lake', lake], silent)).toBe(0);
      // Slices pack raw objects in key order up to 8 MiB. One tiny object, then one object over 8 MiB
      // (five generated ones joined as gzip members), give slice 0 = the tiny object alone (done in
      // milliseconds) and slice 1 = ~10 MiB of gzip (seconds of work); the rest follow.
      const hourDir = join(lake, 'raw', '2024', '04', '07', '10');
      const generated = (await readdir(hourDir)).sort().slice(0, 5);
      const parts: Buffer[] = [];
      for (const name of generated) parts.push(await readFile(join(hourDir, name)));
      for (const name of generated) await unlink(join(hourDir, name));
      const earlyDir = join(lake, 'raw', '2024', '04', '07', '09');
      await writeRaw(
        join(earlyDir, 'eventlake-raw-1-2024-04-07-09-00-00-tiny.gz'),
        gzipSync(`${JSON.stringify(otherEvent(T0))}\nnot json\n`),
      );
      await writeRaw(join(earlyDir, 'eventlake-raw-1-2024-04-07-09-00-01-big.gz'), Buffer.concat(parts));
      // The fault: a file where the quarantine folder belongs. Every slice fails when it writes its
      // quarantine records; the tiny slice gets there first, long before the big one.
      await writeFile(join(lake, 'quarantine'), 'a file where the quarantine folder belongs');

      const child = await runChild(lake);

      expect(child.killedBySafetyNet).toBe(false);
      expect(child.stderr).toMatch(/run failed, nothing committed \(Error: ENOTDIR/);
      expect(child).toMatchObject({ code: 1, signal: null });
    },
    SAFETY_NET_MS + 60_000,
  );
});

async function writeRaw(path: string, body: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}
