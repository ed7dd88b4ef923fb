import { join } from 'node:path';
import { DuckDbSources } from '../adapters/local/duckdb-sources';
import { FileStateStore } from '../adapters/local/file-state-store';
import { FolderObjectStore } from '../adapters/local/folder-object-store';
import { isDurableKey } from './durability';
import { ErasedUsersStateStore } from '../pipeline/erased-users';

/**
 * The lake folder's object store, state store (`<lake>/state/`) and DuckDB relations: what the local
 * runtime and each slice worker open on the same folder (no DuckDB instance here, so workers stay light).
 */
export async function openLocalStores(root: string, horizonDays: number) {
  const objects = new FolderObjectStore(root, { fsync: isDurableKey });
  // User state folds versions older than the dedup horizon (src/adapters/version-fold.ts).
  // Forgotten users' versions are dropped, so no later run rebuilds their state (src/pipeline/erased-users.ts).
  const state = new ErasedUsersStateStore(await FileStateStore.open(join(root, 'state'), { horizonDays }), objects);
  return { objects, state, sources: new DuckDbSources(objects) };
}
