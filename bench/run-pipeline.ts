/**
 * Child process of bench/bench.ts: one scheduled run of the local pipeline on a prepared lake.
 * Prints one JSON line: {seconds, peak_rss_mib, summary, phases}.
 */
import { availableParallelism } from 'node:os';
import { LocalOrchestrator } from '../src/runtime/local-orchestrator';
import { openLocalLake } from '../src/runtime/local-lake';

async function main(): Promise<void> {
  const lakeDir = process.argv[2];
  if (!lakeDir) throw new Error('usage: run-pipeline <lake>');
  const phases: Record<string, number> = {};
  let current = 'start';
  let since = performance.now();
  const lake = await openLocalLake(lakeDir, {
    progress: (message) => {
      process.stderr.write(`[pipeline] ${message}\n`);
      const entered = /^→ (\S+)/.exec(message);
      if (entered) {
        const now = performance.now();
        phases[current] = (phases[current] ?? 0) + (now - since) / 1000;
        current = entered[1] as string;
        since = now;
      }
    },
  });
  const started = performance.now();
  const result = await new LocalOrchestrator(lake, { workers: Number(process.env.EVENTLAKE_WORKERS ?? availableParallelism()) }).execute({ name: 'bench', input: { mode: 'scheduled' } });
  const seconds = (performance.now() - started) / 1000;
  phases[current] = (phases[current] ?? 0) + (performance.now() - since) / 1000;
  delete phases.start;
  await lake.close();
  if (result.status !== 'SUCCEEDED') throw new Error(`pipeline failed: ${result.error}: ${result.cause}`);
  process.stdout.write(
    `${JSON.stringify({ seconds, peak_rss_mib: process.resourceUsage().maxRSS / 1024, summary: result.output, phases })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
