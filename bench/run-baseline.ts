/**
 * Child process of bench/bench.ts: the DuckDB-only baseline. Reads the same raw files, derives
 * created_datetime/event_type/event_subtype/event_date, dedups on lower(event_uuid) (first in
 * file, line order) and writes the same Hive-partitioned Parquet. No validation beyond "parses and has
 * the three fields", no quarantine, no enrichment, no conservation proof: the floor to compare with.
 * Prints one JSON line: {seconds, peak_rss_mib, rows}.
 */
import { DuckDBInstance } from '@duckdb/node-api';

async function main(): Promise<void> {
  const [rawDir, outDir] = process.argv.slice(2);
  if (!rawDir || !outDir) throw new Error('usage: run-baseline <rawDir> <outDir>');
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  await connection.run(`
    COPY (
      WITH lines AS (
        SELECT line, filename, row_number() OVER () AS n
        FROM read_csv('${rawDir}/**/*', columns = {'line': 'VARCHAR'}, delim = '\\x1f', quote = '', escape = '',
                      header = false, auto_detect = false, filename = true, ignore_errors = true, compression = 'gzip')
      ),
      parsed AS (
        SELECT lower(json_extract_string(line, '$.event_uuid')) AS event_uuid,
               json_extract_string(line, '$.event_name') AS event_name,
               TRY_CAST(json_extract(line, '$.created_at') AS DOUBLE) AS created_at,
               line AS payload, filename, n
        FROM lines WHERE json_valid(line)
      )
      SELECT event_uuid, event_name,
             split_part(event_name, ':', 1) AS event_type,
             split_part(event_name, ':', 2) AS event_subtype,
             created_at,
             to_timestamp(created_at) AS created_datetime,
             CAST(to_timestamp(created_at) AS DATE) AS event_date,
             payload
      FROM parsed
      WHERE event_uuid IS NOT NULL AND event_name IS NOT NULL AND created_at BETWEEN 946684800 AND 4102444800
      QUALIFY row_number() OVER (PARTITION BY event_uuid ORDER BY filename, n) = 1
    ) TO '${outDir}' (FORMAT parquet, PARTITION_BY (event_type, event_date), OVERWRITE_OR_IGNORE true)
  `);
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS rows FROM read_parquet('${outDir}/*/*/*.parquet')`,
  );
  const rows = Number(reader.getRowObjects()[0]?.rows ?? 0);
  const seconds = (performance.now() - started) / 1000;
  connection.closeSync();
  instance.closeSync();
  process.stdout.write(`${JSON.stringify({ seconds, peak_rss_mib: process.resourceUsage().maxRSS / 1024, rows })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
