/**
 * Child process of bench/bench.ts: scheduled runs of the local pipeline on a prepared lake until its
 * backlog is drained (a batch takes at most maxBatchObjects / maxBatchBytes of raw objects).
 * Prints one JSON line: {seconds, peak_rss_mib, runs, summary (counts added up), phases, phase_peak_rss_mib, staged_bytes}.
 * Memory is the whole process tree's (this process, its DuckDB and the slice worker processes: tree-rss.ts),
 * sampled every 100 ms; peak_rss_mib is the highest sample, or this process's own peak if that is higher.
 * EVENTLAKE_DUCKDB_MEMORY_LIMIT (e.g. `600MB`) and EVENTLAKE_DUCKDB_THREADS override the local lake's DuckDB
 * memory limit (default 512MB, src/runtime/local-lake.ts) and threads (default: one per core), for memory experiments.
 */
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LocalOrchestrator } from '../src/runtime/local-orchestrator';
import { treeRssMib } from './tree-rss';
import { openLocalLake } from '../src/runtime/local-lake';

async function main(): Promise<void> {
  const lakeDir = process.argv[2];
  if (!lakeDir) throw new Error('usage: run-pipeline <lake>');
  const phases: Record<string, number> = {};
  /** Highest RSS seen in each state (sampled every 100 ms): where the peak is. */
  const phasePeaks: Record<string, number> = {};
  let current = 'start';
  let treePeak = 0;
  const sampler = setInterval(() => {
    const mib = treeRssMib();
    treePeak = Math.max(treePeak, mib);
    phasePeaks[current] = Math.max(phasePeaks[current] ?? 0, Math.round(mib));
  }, 100);
  let since = performance.now();
  const lake = await openLocalLake(lakeDir, {
    ...(process.env.EVENTLAKE_DUCKDB_MEMORY_LIMIT ? { duckdbMemoryLimit: process.env.EVENTLAKE_DUCKDB_MEMORY_LIMIT } : {}),
    ...(process.env.EVENTLAKE_DUCKDB_THREADS ? { threads: Number(process.env.EVENTLAKE_DUCKDB_THREADS) } : {}),
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
  const orchestrator = new LocalOrchestrator(lake, { workers: Number(process.env.EVENTLAKE_WORKERS ?? availableParallelism()) });
  const totals: Record<string, number> = {};
  let runs = 0;
  for (;;) {
    const result = await orchestrator.execute({ name: `bench-${++runs}`, input: { mode: 'scheduled' } });
    if (result.status !== 'SUCCEEDED') {
      // Nothing may keep the process alive after a failure (the sampler, DuckDB): the bench waits for it.
      clearInterval(sampler);
      await lake.close();
      throw new Error(`pipeline failed: ${result.error}: ${result.cause}`);
    }
    const summary = result.output as Record<string, unknown>;
    for (const [key, value] of Object.entries(summary)) if (typeof value === 'number' && key !== 'backlog_objects') totals[key] = (totals[key] ?? 0) + value;
    if (summary.status !== 'committed' || summary.backlog_objects === 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  phases[current] = (phases[current] ?? 0) + (performance.now() - since) / 1000;
  delete phases.start;
  clearInterval(sampler);
  delete phasePeaks.start;
  await lake.close();
  const peakRssMib = Math.max(treePeak, process.resourceUsage().maxRSS / 1024);
  process.stdout.write(
    `${JSON.stringify({ seconds, peak_rss_mib: peakRssMib, runs, summary: totals, phases, phase_peak_rss_mib: phasePeaks, staged_bytes: bytesUnder(join(lakeDir, 'staging', 'staged')) })}\n`,
  );
}

/** Bytes of every file under `dir` (what DuckDB and, on AWS, Athena read back from staging). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
