/**
 * `npm run bench [-- --json] [-- --events N] [-- --repeat R]`: end-to-end events/s of the local pipeline on N
 * (default 1M) generated events (raw objects cached in .bench-cache/ between runs), on a fresh lake each time,
 * run batch after batch until the backlog is drained,
 * and a DuckDB-only baseline on the same raw files in the same run. Each side runs in its own child
 * process so its peak RSS is its own. With `--repeat R` (default 1) it runs R such pairs back to back and
 * reports the medians (bench/repeat.ts), each pair under `samples`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pairRatio, summarizePairs } from './repeat';

const ROOT = resolve(__dirname, '..');
const TSX = [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')];

function child(script: string, args: string[]): string {
  return execFileSync(process.execPath, [...TSX, join(ROOT, 'bench', script), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

function lastJsonLine<T>(output: string): T {
  const line = output.trim().split('\n').pop();
  if (!line) throw new Error('child printed nothing');
  return JSON.parse(line) as T;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      events: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '7' },
      repeat: { type: 'string', default: '1' },
    },
  });
  const events = Number(values.events);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat takes a positive whole number of runs, got ${values.repeat}`);
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

  const cache = join(ROOT, '.bench-cache', `events-${events}-seed-${values.seed}`);
  const marker = join(cache, 'generate-summary.json');
  if (!existsSync(marker)) {
    log(`generating ${events} events into ${cache} (cached for later runs)`);
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    const out = execFileSync(
      process.execPath,
      [join(ROOT, 'bin', 'eventlake.js'), 'generate', '--lake', cache, '--events', String(events), '--seed', String(values.seed), '--start', '2024-04-07T00:00:00Z', '--hours', '24'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    writeFileSync(marker, out.trim().split('\n').pop() ?? '{}');
  }
  const generated = JSON.parse(readFileSync(marker, 'utf8')) as { lines?: number };

  const pairs: Pair[] = [];
  for (let run = 1; run <= repeat; run++) pairs.push(benchPair(cache, repeat > 1 ? ` (${run} of ${repeat})` : '', log));
  const { median: pair, seconds, baselineSeconds, ratio, peakRssMib } = summarizePairs(pairs);
  const { pipeline, baseline } = pair;
  const lines = Number(pipeline.summary.lines_read ?? generated.lines ?? events);
  const samples = pairs.map((p) => ({
    seconds: round(p.seconds),
    baseline_seconds: round(p.baselineSeconds),
    ratio: round(pairRatio(p)),
    peak_rss_mib: Math.round(p.peakRssMib),
  }));
  const result = {
    events: lines,
    seconds: round(seconds),
    events_per_second: Math.round(lines / seconds),
    baseline_seconds: round(baselineSeconds),
    baseline_events_per_second: Math.round(lines / baselineSeconds),
    peak_rss_mib: Math.round(peakRssMib),
    /** Pipeline seconds / baseline seconds, both measured in this run (with --repeat: the median of the pairs' ratios). */
    ratio: round(ratio),
    /** Seconds spent in each state, all runs added up (with --repeat: the median pair's). */
    phases: Object.fromEntries(Object.entries(pipeline.phases).map(([k, v]) => [k, round(v)])),
    /** Bytes of staged rows the pipeline wrote (what DuckDB here, and Athena on AWS, reads back). */
    staged_bytes: pipeline.staged_bytes,
    /** Highest RSS of the pipeline process seen in each state (sampled every 100 ms). */
    phase_peak_rss_mib: pipeline.phase_peak_rss_mib,
    events_per_core_second: Math.round(lines / seconds / availableParallelism()),
    cores: availableParallelism(),
    runs: pipeline.runs,
    baseline_peak_rss_mib: Math.round(baseline.peak_rss_mib),
    inserted: pipeline.summary.inserted,
    baseline_rows: baseline.rows,
    ...(repeat > 1 ? { repeat, samples } : {}),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      [
        `events (lines read)        ${result.events}`,
        `pipeline                   ${result.seconds} s  ${result.events_per_second} events/s  peak RSS ${result.peak_rss_mib} MiB`,
        `DuckDB-only baseline       ${result.baseline_seconds} s  ${result.baseline_events_per_second} events/s  peak RSS ${result.baseline_peak_rss_mib} MiB`,
        `rows: pipeline ${String(result.inserted)}, baseline ${result.baseline_rows} (the baseline drops what it cannot parse and does not validate)`,
        `ratio to the baseline      ${result.ratio} (${result.cores} cores, ${result.events_per_core_second} events per core-second, ${result.runs} run(s))`,
        ...(repeat > 1 ? [`medians of ${repeat} pairs     ratios ${samples.map((p) => p.ratio).join(', ')}; peak RSS is the highest`] : []),
        `staged bytes               ${result.staged_bytes}`,
        `where the time goes (s):   ${Object.entries(result.phases).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ].join('\n') + '\n',
    );
  }
}

interface PipelineRun {
  seconds: number;
  peak_rss_mib: number;
  runs: number;
  summary: Record<string, unknown>;
  phases: Record<string, number>;
  phase_peak_rss_mib: Record<string, number>;
  staged_bytes: number;
}

interface BaselineRun {
  seconds: number;
  peak_rss_mib: number;
  rows: number;
}

interface Pair {
  readonly seconds: number;
  readonly baselineSeconds: number;
  readonly peakRssMib: number;
  readonly pipeline: PipelineRun;
  readonly baseline: BaselineRun;
}

/** The pipeline on a fresh copy of the cached raw files, then the baseline on the same files. */
function benchPair(cache: string, label: string, log: (m: string) => void): Pair {
  const work = mkdtempSync(join(tmpdir(), 'eventlake-bench-'));
  try {
    const lake = join(work, 'lake');
    cpSync(join(cache, 'raw'), join(lake, 'raw'), { recursive: true });
    log(`running the local pipeline on a fresh lake${label}`);
    const pipeline = lastJsonLine<PipelineRun>(child('run-pipeline.ts', [lake]));
    log(`running the DuckDB-only baseline on the same raw files${label}`);
    const baseline = lastJsonLine<BaselineRun>(child('run-baseline.ts', [join(lake, 'raw'), join(work, 'baseline')]));
    return { seconds: pipeline.seconds, baselineSeconds: baseline.seconds, peakRssMib: pipeline.peak_rss_mib, pipeline, baseline };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main();
