import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance, ResultReturnType, type DuckDBConnection } from '@duckdb/node-api';
import { FolderObjectStore } from '../../adapters/local/folder-object-store';
import { plainValue } from '../../adapters/local/duckdb-values';
import { spillFolder } from '../../adapters/local/duckdb-engine';
import { SqlError } from '../../errors';
import { sqlPathLiteral } from '../../sql/render';
import { resultWriter, type OutputFormat } from '../format';
import { ExitCode, UsageError, type CliIo } from '../io';
import { lakeViewStatements } from '../lake-views';
import { fileSink, stdoutSink, type TextSink } from './sink';

export interface LocalQueryOptions {
  readonly lake: string;
  readonly format: OutputFormat | 'parquet';
  readonly output?: string;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs an analyst SQL script over the views `events` and `quarantine` of a lake, streaming each result
 * chunk by chunk (DuckDB streaming results, 2,048 rows a chunk) to stdout or `--output`, so memory stays
 * bounded whatever the result size. Every statement runs, in order; each that returns rows is printed
 * (results separated by a blank line in table and csv). `parquet` writes the result of a single statement
 * to `--output` with DuckDB's COPY.
 */
export async function localQuery(io: CliIo, sql: string, options: LocalQueryOptions): Promise<number> {
  // Spills go to a folder of the query's own (src/adapters/local/duckdb-engine.ts), removed at the end.
  const spill = spillFolder();
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '1GB', temp_directory: spill }).catch((error: unknown) => {
    rmSync(spill, { recursive: true, force: true });
    throw error;
  });
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    for (const view of await lakeViewStatements(new FolderObjectStore(resolve(options.lake)))) await connection.run(view.text);
    const extracted = await connection.extractStatements(sql).catch((error: unknown) => {
      throw new SqlError('query', messageOf(error), { cause: error });
    });
    if (extracted.count === 0) throw new UsageError('query needs SQL: the text holds no statement');
    if (options.format === 'parquet') return await copyToParquet(io, connection, sql, extracted.count, options.output ?? '');
    const sink: TextSink = options.output !== undefined ? await fileSink(options.output) : stdoutSink(io);
    let printed = 0;
    let rows = 0;
    try {
      for (let i = 0; i < extracted.count; i++) {
        const name = extracted.count === 1 ? 'query' : `query statement ${i + 1} of ${extracted.count}`;
        const prepared = await extracted.prepare(i).catch((error: unknown) => {
          throw new SqlError(name, messageOf(error), { cause: error });
        });
        try {
          const result = await prepared.stream();
          if (result.returnType !== ResultReturnType.QUERY_RESULT) continue;
          const writer = resultWriter(options.format);
          if (printed > 0 && (options.format === 'table' || options.format === 'csv')) await sink.write('\n');
          printed++;
          await sink.write(writer.begin(result.deduplicatedColumnNames()));
          for await (const chunk of result.yieldConvertedRows(plainValue)) {
            rows += chunk.length;
            await sink.write(writer.rows(chunk));
          }
          await sink.write(writer.end());
        } catch (error) {
          if (error instanceof SqlError) throw error;
          throw new SqlError(name, messageOf(error), { cause: error });
        } finally {
          prepared.destroySync();
        }
      }
    } finally {
      await sink.close();
    }
    if (options.output !== undefined) io.err(`wrote ${rows} row${rows === 1 ? '' : 's'} (${options.format}) to ${options.output}`);
    return ExitCode.ok;
  } finally {
    connection?.closeSync();
    instance.closeSync();
    rmSync(spill, { recursive: true, force: true });
  }
}

async function copyToParquet(io: CliIo, connection: DuckDBConnection, sql: string, count: number, output: string): Promise<number> {
  if (count !== 1) throw new UsageError(`--format parquet writes the result of one statement; the SQL holds ${count}`);
  const target = resolve(output);
  // DuckDB's own parser gives the statement's text without trailing semicolons or comments (SELECT only).
  const normalized = await connection
    .runAndReadAll('SELECT json_deserialize_sql(json_serialize_sql(CAST($1 AS VARCHAR))) AS text', [sql])
    .catch((error: unknown) => {
      throw new UsageError(`--format parquet writes the result of a query (SELECT, FROM, WITH ...): ${messageOf(error)}`);
    });
  const text = String(normalized.getRows()[0]?.[0] ?? '');
  const result = await connection.run(`COPY (${text}) TO ${sqlPathLiteral(target)} (FORMAT parquet)`).catch((error: unknown) => {
    throw new SqlError('query', messageOf(error), { cause: error });
  });
  const rows = result.rowsChanged;
  io.err(`wrote ${rows} row${rows === 1 ? '' : 's'} (parquet) to ${output}`);
  return ExitCode.ok;
}
