import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DuckDbEngine } from '../adapters/local/duckdb-engine';
import { systemClock, type Clock } from '../ports/clock';
import { DEFAULT_CONFIG, type PipelineConfig } from '../pipeline/config';
import type { PipelineDeps, Progress } from '../pipeline/deps';
import { openLocalStores } from './local-stores';

export interface LocalLakeOptions {
  readonly clock?: Clock;
  readonly config?: Partial<PipelineConfig>;
  readonly progress?: Progress;
  /** DuckDB threads (default: all cores). */
  readonly threads?: number;
  /**
   * DuckDB memory limit (default 512MB; DuckDB spills to a temp folder beyond it). 512MB keeps a 1M-event
   * batch's whole process tree under 1 GiB (docs/performance.md) and costs no time since the classification
   * streams its rows (sql/duckdb/classify_batch.sql).
   */
  readonly duckdbMemoryLimit?: string;
}

export const LOCAL_DUCKDB_MEMORY_LIMIT = '512MB';

export interface LocalLake extends PipelineDeps {
  readonly root: string;
  close(): Promise<void>;
}

/**
 * The embedded runtime's adapters over one lake folder: objects in `<lake>/`, user state, lease and
 * checkpoint in `<lake>/state/`, DuckDB in memory reading the lake's files.
 */
export async function openLocalLake(dir: string, options: LocalLakeOptions = {}): Promise<LocalLake> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const { objects, state, sources } = await openLocalStores(root, config.dedupHorizonDays);
  // DuckDB defaults to 80% of RAM; a bound keeps the whole run inside its memory budget (it spills to disk).
  const sql = await DuckDbEngine.create({
    memoryLimit: options.duckdbMemoryLimit ?? LOCAL_DUCKDB_MEMORY_LIMIT,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  return {
    root,
    objects,
    state,
    sql,
    dialect: 'duckdb',
    sources,
    clock: options.clock ?? systemClock,
    config,
    progress: options.progress ?? (() => undefined),
    close: () => sql.close(),
  };
}
