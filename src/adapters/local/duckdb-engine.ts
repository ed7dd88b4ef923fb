import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader } from '@duckdb/node-api';
import { ConfigError, ErrorNames, EventLakeError, SqlError } from '../../errors';
import type { SqlEngine, SqlRow, SqlStatement, SqlValue } from '../../ports/sql-engine';
import { AsyncMutex } from '../async-mutex';
import { bindParams, plainValue } from './duckdb-values';

export interface DuckDbEngineOptions {
  /**
   * Database file, or `:memory:` for a database that lives as long as the engine. Curated data lives in
   * Parquet files either way; a file only keeps views and settings between runs.
   * @default ':memory:'
   */
  readonly path?: string;
  /** Worker threads. @default - DuckDB's default, one per core */
  readonly threads?: number;
  /** Memory cap in DuckDB's notation, e.g. `'2GB'`. @default - DuckDB's default, 80% of RAM */
  readonly memoryLimit?: string;
}

/**
 * Where DuckDB spills beyond its memory limit: a folder of this engine's own under the system temp folder,
 * removed on close. DuckDB's default for an in-memory database is `.tmp` under the current directory, which
 * would leave spill files wherever the CLI happened to be started.
 */
export function spillFolder(): string {
  return mkdtempSync(join(tmpdir(), 'eventlake-duckdb-'));
}

/**
 * The SQL engine of the local runtime: DuckDB in-process, one connection, session time zone UTC.
 *
 * - Statements run one at a time in call order (calls queue on the single connection).
 * - With params, the text must be one statement; `?` placeholders are bound by position through a
 *   prepared statement, never spliced. Without params, the text may hold several `;`-separated
 *   statements; `query` returns the rows of the last one.
 * - Rows are plain objects keyed by column name; value mapping in duckdb-values.ts (`plainValue`).
 * - Any failure throws `SqlError` whose message starts with the statement's name; DuckDB's error is the
 *   `cause`.
 */
const PARTITIONED_WRITE_FLUSH_ROWS = 50_000;

export class DuckDbEngine implements SqlEngine {
  private readonly queue = new AsyncMutex();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly spillDir: string,
  ) {}

  static async create(options: DuckDbEngineOptions = {}): Promise<DuckDbEngine> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) {
      if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
        throw new ConfigError(`DuckDbEngine: threads must be a positive integer, got ${options.threads}`);
      }
      config.threads = String(options.threads);
    }
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    const spillDir = spillFolder();
    config.temp_directory = spillDir;
    // DuckDB's allocator on Linux is its own jemalloc, whose freed pages stay resident until a later
    // allocation purges them; with its background threads off (DuckDB's default) an idle DuckDB keeps what
    // its last statement freed, and the next batch's slice states stack on top of it (docs/performance.md,
    // "Memory from batch to batch"). "Background threads asynchronously purge outstanding allocations"
    // (https://duckdb.org/docs/stable/core_extensions/jemalloc, setting allocator_background_threads).
    config.allocator_background_threads = 'true';
    // A partitioned COPY (the merge) flushes a partition's buffered rows at this many instead of DuckDB's
    // default, so its buffers stay small under a 512MB limit: the 1M-event merge took 1.2 s and 760 MiB RSS
    // against 2.4 s and 870 MiB (docs/performance.md; the setting of
    // https://duckdb.org/docs/1.5/data/partitioning/partitioned_writes.html and the configuration reference).
    config.partitioned_write_flush_threshold = String(PARTITIONED_WRITE_FLUSH_ROWS);
    const path = options.path ?? ':memory:';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (error) {
      rmSync(spillDir, { recursive: true, force: true });
      throw configError(`DuckDbEngine: cannot open DuckDB at ${path}: ${messageOf(error)}`, error);
    }
    try {
      const connection = await instance.connect();
      // Timestamps render and date parts (event_date) compute in UTC whatever the machine's zone.
      await connection.run("SET TimeZone = 'UTC'");
      return new DuckDbEngine(instance, connection, spillDir);
    } catch (error) {
      instance.closeSync();
      rmSync(spillDir, { recursive: true, force: true });
      throw configError(`DuckDbEngine: cannot set up DuckDB: ${messageOf(error)}`, error);
    }
  }

  async run(statement: SqlStatement, params: readonly SqlValue[] = []): Promise<void> {
    await this.execute(statement, params, false);
  }

  async query<T extends SqlRow = SqlRow>(
    statement: SqlStatement,
    params: readonly SqlValue[] = [],
  ): Promise<T[]> {
    const reader = await this.execute(statement, params, true);
    return (reader?.convertRowObjects(plainValue) ?? []) as T[];
  }

  async close(): Promise<void> {
    await this.queue.run(() => {
      if (this.closed) return Promise.resolve();
      this.closed = true;
      this.connection.closeSync();
      this.instance.closeSync();
      rmSync(this.spillDir, { recursive: true, force: true });
      return Promise.resolve();
    });
  }

  /** Runs `statement`; returns its rows when `read`, else undefined (nothing is fetched). */
  private execute(
    statement: SqlStatement,
    params: readonly SqlValue[],
    read: boolean,
  ): Promise<DuckDBResultReader | undefined> {
    return this.queue.run(async () => {
      if (this.closed) throw new SqlError(statement.name, 'the engine is closed');
      try {
        if (params.length > 0) return await this.runPrepared(statement, params, read);
        if (read) return await this.connection.runAndReadAll(statement.text);
        await this.connection.run(statement.text);
        return undefined;
      } catch (error) {
        if (error instanceof SqlError) throw error;
        throw new SqlError(statement.name, messageOf(error), { cause: error });
      }
    });
  }

  private async runPrepared(
    statement: SqlStatement,
    params: readonly SqlValue[],
    read: boolean,
  ): Promise<DuckDBResultReader | undefined> {
    const prepared = await this.connection.prepare(statement.text).catch((error: unknown) => {
      const hint = /multiple statements/i.test(messageOf(error))
        ? ' (a statement with parameters must be a single statement)'
        : '';
      throw new SqlError(statement.name, `${messageOf(error)}${hint}`, { cause: error });
    });
    try {
      if (prepared.parameterCount !== params.length) {
        throw new SqlError(
          statement.name,
          `expects ${prepared.parameterCount} parameter(s) for its ? placeholders, got ${params.length}`,
        );
      }
      bindParams(prepared, params);
      if (read) return await prepared.runAndReadAll();
      await prepared.run();
      return undefined;
    } finally {
      prepared.destroySync();
    }
  }
}

/** A `ConfigError` (same name) that keeps DuckDB's error as its cause. */
function configError(message: string, cause: unknown): EventLakeError {
  return new EventLakeError(ErrorNames.Config, message, { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
