/**
 * Memory batch after batch: `node --expose-gc node_modules/tsx/dist/cli.mjs bench/batch-memory.ts
 * [--events N] [--batch-mib M] [--workers W]` runs the local pipeline in this process on N generated events
 * (raw objects cached in .bench-cache/, as bench/bench.ts does) with a batch cap of M MiB of raw objects, and
 * prints one JSON line per batch: the process's RSS and V8 heap after the batch (after a full GC when
 * --expose-gc is given), the highest RSS seen in each state of that batch (sampled every 100 ms), DuckDB's
 * own memory, the state store's version log size, and what a fresh FileStateStore on that folder holds in
 * memory once opened (entities, versions, heap it took): what each slice worker thread pays when it opens
 * the store. Not a test: a reproduction for the memory-per-batch question (docs/performance.md).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { FileStateStore } from '../src/adapters/local/file-state-store';
import { openLocalLake } from '../src/runtime/local-lake';
import { LocalOrchestrator } from '../src/runtime/local-orchestrator';

const ROOT = resolve(__dirname, '..');
const MIB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

const mib = (bytes: number) => Math.round(bytes / MIB);

function cachedEvents(events: number, seed: string): string {
  const cache = join(ROOT, '.bench-cache', `events-${events}-seed-${seed}`);
  const marker = join(cache, 'generate-summary.json');
  if (!existsSync(marker)) {
    process.stderr.write(`[batch-memory] generating ${events} events into ${cache}\n`);
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    const out = execFileSync(
      process.execPath,
      [join(ROOT, 'bin', 'eventlake.js'), 'generate', '--lake', cache, '--events', String(events), '--seed', seed, '--start', '2024-04-07T00:00:00Z', '--hours', '24'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    writeFileSync(marker, out.trim().split('\n').pop() ?? '{}');
  }
  return join(cache, 'raw');
}

/** What a store newly opened on `dir` holds, and the V8 heap it took (GC'd before and after when possible). */
async function probeStore(dir: string): Promise<Record<string, number>> {
  gc?.();
  const before = getHeapStatistics().used_heap_size;
  const started = performance.now();
  const store = await FileStateStore.open(dir, { fsync: false });
  const openMs = Math.round(performance.now() - started);
  gc?.();
  const held = getHeapStatistics().used_heap_size - before;
  const { entities, versions } = store.indexedVersions();
  return { probe_entities: entities, probe_versions: versions, probe_heap_mib: mib(held), probe_open_ms: openMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '2000000' },
      seed: { type: 'string', default: '7' },
      'batch-mib': { type: 'string', default: '128' },
      workers: { type: 'string', default: '2' },
      /** Keep the lake folder (printed) for a later look. */
      keep: { type: 'boolean', default: false },
    },
  });
  const raw = cachedEvents(Number(values.events), values.seed);
  const work = mkdtempSync(join(tmpdir(), 'eventlake-batch-memory-'));
  const lakeDir = join(work, 'lake');
  cpSync(raw, join(lakeDir, 'raw'), { recursive: true });
  let phase = 'start';
  let peaks: Record<string, number> = {};
  const sampler = setInterval(() => {
    peaks[phase] = Math.max(peaks[phase] ?? 0, mib(process.memoryUsage.rss()));
  }, 100);
  try {
    const lake = await openLocalLake(lakeDir, {
      config: { maxBatchBytes: Number(values['batch-mib']) * MIB },
      progress: (message) => {
        const entered = /^→ (\S+)/.exec(message);
        if (entered) phase = entered[1] as string;
      },
    });
    const orchestrator = new LocalOrchestrator(lake, { workers: Number(values.workers) });
    for (let batch = 1; ; batch++) {
      peaks = {};
      const started = performance.now();
      const result = await orchestrator.execute({ name: `batch-${batch}`, input: { mode: 'scheduled' } });
      if (result.status !== 'SUCCEEDED') throw new Error(`batch ${batch} failed: ${result.error}: ${result.cause}`);
      const summary = result.output as Record<string, unknown>;
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      phase = 'between';
      gc?.();
      const memory = process.memoryUsage();
      const heap = getHeapStatistics();
      const duck = await lake.sql.query<{ bytes: number | bigint | null }>({ name: 'duckdb_memory', text: 'SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory()' });
      const logPath = join(lakeDir, 'state', 'versions.ndjson');
      const line = {
        batch,
        status: summary.status,
        lines_read: summary.lines_read,
        backlog_objects: summary.backlog_objects,
        seconds,
        rss_mib: mib(memory.rss),
        heap_used_mib: mib(heap.used_heap_size),
        external_mib: mib(memory.external),
        array_buffers_mib: mib(memory.arrayBuffers),
        duckdb_mib: mib(Number(duck[0]?.bytes ?? 0)),
        main_store: (lake.state as unknown as { inner?: FileStateStore }).inner?.indexedVersions(),
        log_mib: existsSync(logPath) ? mib(statSync(logPath).size) : 0,
        ...(await probeStore(join(lakeDir, 'state'))),
        peak_rss_mib_by_state: { ...peaks },
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      if (summary.status !== 'committed' || summary.backlog_objects === 0) break;
    }
    await lake.close();
    process.stdout.write(`${JSON.stringify({ max_rss_mib: mib(process.resourceUsage().maxRSS * 1024) })}\n`);
  } finally {
    clearInterval(sampler);
    if (values.keep) process.stderr.write(`[batch-memory] lake kept in ${lakeDir}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
