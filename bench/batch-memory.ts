/**
 * Memory batch after batch: `node --expose-gc -r tsx/cjs bench/batch-memory.ts [--events N] [--batch-mib M]
 * [--workers W] [--keep]` (tsx's own CLI would not pass --expose-gc on) runs the local pipeline in this
 * process on N generated events (raw objects cached in .bench-cache/, as bench/bench.ts does) with a batch
 * cap of M MiB of raw objects, and prints one JSON line per batch: the process's RSS and V8 heap after the
 * batch (after a full GC), the highest RSS seen in each state of that batch (sampled every 100 ms), DuckDB's
 * own memory, the state store's version log and sorted file sizes, and what a fresh FileStateStore on that
 * folder holds in memory once opened (entities, versions, heap it took, time to open): what each slice
 * worker thread pays when it opens the store. Not a test: a reproduction for the memory-per-batch question
 * (docs/performance.md, "Memory from batch to batch").
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** RSS split as Linux counts it (anonymous memory, mapped files, shared memory), where /proc is readable. */
function rssParts(): Record<string, number> {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss_anon_mib: Math.round(kib('RssAnon') / 1024), rss_file_mib: Math.round(kib('RssFile') / 1024) };
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '2000000' },
      seed: { type: 'string', default: '7' },
      'batch-mib': { type: 'string', default: '128' },
      workers: { type: 'string', default: '2' },
      /** Copy /proc/self/smaps after each batch into this folder (smaps-<batch>), to see what the RSS is made of. */
      smaps: { type: 'string' },
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
      const parts = rssParts();
      // Two seconds later: what an allocator returns to the system by itself once the batch is over.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const rssLater = mib(process.memoryUsage.rss());
      const heap = getHeapStatistics();
      const duck = await lake.sql.query<{ tag: string; bytes: number | bigint }>({
        name: 'duckdb_memory',
        text: 'SELECT tag, memory_usage_bytes AS bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0',
      });
      const logPath = join(lakeDir, 'state', 'versions.ndjson');
      const sortedPath = join(lakeDir, 'state', 'versions.sorted.ndjson');
      const line = {
        batch,
        status: summary.status,
        lines_read: summary.lines_read,
        backlog_objects: summary.backlog_objects,
        seconds,
        rss_mib: mib(memory.rss),
        ...parts,
        rss_2s_later_mib: rssLater,
        heap_used_mib: mib(heap.used_heap_size),
        external_mib: mib(memory.external),
        array_buffers_mib: mib(memory.arrayBuffers),
        duckdb_mib: Object.fromEntries(duck.map((row) => [row.tag, mib(Number(row.bytes))])),
        main_store: (lake.state as unknown as { inner?: FileStateStore }).inner?.indexedVersions(),
        log_mib: existsSync(logPath) ? mib(statSync(logPath).size) : 0,
        sorted_mib: existsSync(sortedPath) ? mib(statSync(sortedPath).size) : 0,
        ...(await probeStore(join(lakeDir, 'state'))),
        peak_rss_mib_by_state: { ...peaks },
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      if (values.smaps !== undefined) writeFileSync(join(values.smaps, `smaps-${batch}`), readFileSync('/proc/self/smaps'));
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
