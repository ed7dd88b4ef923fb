import type { SqlRow } from '../../ports/sql-engine';
import type { LocalLake } from '../../runtime/local-lake';
import { createLakeViews } from '../lake-views';

/** Runs analyst SQL against the views `events` and `quarantine`. */
export async function queryLake(lake: LocalLake, sql: string): Promise<SqlRow[]> {
  await createLakeViews(lake);
  return lake.sql.query({ name: 'query', text: sql });
}
