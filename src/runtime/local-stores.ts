import { join } from 'node:path';
import { DuckDbSources } from '../adapters/local/duckdb-sources';
import { FileStateStore } from '../adapters/local/file-state-store';
import { FolderObjectStore } from '../adapters/local/folder-object-store';
import { isDurableKey } from './durability';

/**
 * The lake folder's object store, state store (`<lake>/state/`) and DuckDB relations: what the local
 * runtime and each slice worker open on the same folder (no DuckDB instance here, so workers stay light).
 */
export async function openLocalStores(root: string, horizonDays: number) {
  const objects = new FolderObjectStore(root, { fsync: isDurableKey });
  // User state folds versions older than the dedup horizon (src/adapters/version-fold.ts).
  const state = await FileStateStore.open(join(root, 'state'), { horizonDays });
  return { objects, state, sources: new DuckDbSources(objects) };
}
