import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

export const BIN = `${__dirname}/../../bin/eventlake.js`;

/** Runs the CLI in-process with stdout and stderr captured. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
