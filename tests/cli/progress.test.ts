import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

/** A terminal-like stderr: raw writes captured, isTTY true. */
function terminal(): CliIo & { raw: string[]; lines: string[]; out: (t: string) => void } {
  const raw: string[] = [];
  const lines: string[] = [];
  return { raw, lines, out: () => undefined, err: (t) => lines.push(t), writeErr: (t) => raw.push(t), stderrIsTTY: true, columns: 120 };
}

describe('progress on stderr', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-progress-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('on a terminal, generate and run show one live status line (state, counts, rate, elapsed), not a line per message', async () => {
    const lake = join(dir, 'tty');
    const gen = terminal();
    expect(await main(['generate', '--events', '3000', '--start', '2024-04-07T00:00:00Z', '--hours', '1', '--lake', lake], gen)).toBe(0);
    const run = terminal();
    expect(await main(['run', '--lake', lake], run)).toBe(0);

    expect(gen.lines).toEqual([]);
    const CLEAR = '\r\u001b[K';
    const after = (raw: string[]) => raw.filter((t) => t.startsWith(CLEAR)).map((t) => t.slice(CLEAR.length));
    expect(after(gen.raw).some((t) => /^eventlake \d+\.\ds \| \d+ events, \d+ objects, \d+ events\/s \| generated/.test(t))).toBe(true);
    expect(gen.raw.at(-1)).toBe('\r\x1b[K');
    expect(after(run.raw).some((t) => /^eventlake \d+\.\ds \| MergeGroups \| /.test(t))).toBe(true);
    expect(run.raw.every((t) => !t.includes('\n') && t.length <= 4 + 119)).toBe(true);
  });

  it('with --json, or off a terminal, plain lines as before', async () => {
    const lake = join(dir, 'plain');
    const plain: string[] = [];
    const offTerminal: CliIo = { out: () => undefined, err: (t) => plain.push(t), writeErr: () => undefined, stderrIsTTY: false };
    expect(await main(['generate', '--events', '2000', '--start', '2024-04-07T00:00:00Z', '--hours', '1', '--lake', lake], offTerminal)).toBe(0);
    const json = terminal();
    expect(await main(['run', '--json', '--lake', lake], json)).toBe(0);

    expect(plain.some((l) => /^\[eventlake \d+\.\ds\] generated 2000 events in \d+ objects$/.test(l))).toBe(true);
    expect(json.raw).toEqual([]);
    expect(json.lines.some((l) => /^\[eventlake \d+\.\ds\] → MergeGroups/.test(l))).toBe(true);
  });
});
