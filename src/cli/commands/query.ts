import type { SqlRow } from '../../ports/sql-engine';
import type { LocalLake } from '../../runtime/local-lake';
import { formatRows, type OutputFormat } from '../format';
import { createLakeViews } from '../lake-views';

/** Runs analyst SQL against the views `events` and `quarantine`. */
export async function queryLake(lake: LocalLake, sql: string): Promise<SqlRow[]> {
  await createLakeViews(lake);
  return lake.sql.query({ name: 'query', text: sql });
}

export async function queryCommand(lake: LocalLake, sql: string, format: OutputFormat): Promise<string> {
  return formatRows(await queryLake(lake, sql), format);
}
