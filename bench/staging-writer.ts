/**
 * `npx tsx bench/staging-writer.ts [rows]`: the staged-row writer alone, on the shape the issue measured the
 * alternatives with (1M rows of a uuid, a double and a 110-byte payload string): rows pushed into a
 * ParquetRowBuffer (32 MiB parts, as the slices write them), then the files read by DuckDB to check them.
 * Prints one JSON line: {rows, encode_seconds, bytes, peak_rss_mib, duckdb_rows}. Figures in docs/decisions.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { ParquetRowBuffer } from '../src/parquet/row-buffer';
import type { ParquetColumn } from '../src/parquet/schema';

const COLUMNS: readonly ParquetColumn[] = [
  { name: 'event_uuid', type: 'utf8' },
  { name: 'created_at', type: 'double' },
  { name: 'payload', type: 'utf8' },
];
const PART_BYTES = 32 * 1024 * 1024;

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const uuids = Array.from({ length: 1000 }, () => randomUUID());
  const dir = mkdtempSync(join(tmpdir(), 'staging-writer-'));
  try {
    const started = performance.now();
    let buffer = new ParquetRowBuffer(COLUMNS);
    let bytes = 0;
    let parts = 0;
    const flush = () => {
      const file = buffer.toBuffer();
      writeFileSync(join(dir, `part-${parts++}.parquet`), file);
      bytes += file.length;
      buffer = new ParquetRowBuffer(COLUMNS);
    };
    for (let i = 0; i < rows; i++) {
      const uuid = uuids[i % 1000] as string;
      const payload = `{"event_uuid":"${uuid}","event_name":"lesson:started","created_at":${1712511721 + i},"n":${i}}`.padEnd(110, ' ');
      buffer.push([uuid, 1712511721 + i / 1000, payload]);
      if (buffer.byteLength >= PART_BYTES) flush();
    }
    flush();
    const encodeSeconds = (performance.now() - started) / 1000;
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    const reader = await connection.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT event_uuid) AS u FROM read_parquet('${dir}/*.parquet')`);
    const [row] = reader.getRowObjects();
    connection.closeSync();
    process.stdout.write(
      `${JSON.stringify({ rows, encode_seconds: Math.round(encodeSeconds * 100) / 100, parts, bytes, peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024), duckdb_rows: Number(row?.n), duckdb_distinct_uuids: Number(row?.u) })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
