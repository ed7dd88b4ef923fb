import { hasObject } from '../ports/object-store';
import type { LocalLake } from '../runtime/local-lake';
import { sqlPathLiteral } from '../sql/render';
import { Layout } from '../ports/layout';

const QUARANTINE_COLUMNS =
  "{batch_id: 'VARCHAR', source_key: 'VARCHAR', line_no: 'BIGINT', reason: 'VARCHAR', errors: 'VARCHAR[]', " +
  "raw_line: 'VARCHAR', raw_base64: 'VARCHAR', raw_size_bytes: 'BIGINT', truncated: 'BOOLEAN', quarantined_at: 'VARCHAR'}";

const EMPTY_EVENTS =
  'SELECT CAST(NULL AS VARCHAR) AS event_uuid, CAST(NULL AS VARCHAR) AS event_name, CAST(NULL AS VARCHAR) AS event_type, ' +
  'CAST(NULL AS VARCHAR) AS event_subtype, CAST(NULL AS DOUBLE) AS created_at, CAST(NULL AS TIMESTAMPTZ) AS created_datetime, ' +
  'CAST(NULL AS DATE) AS event_date, CAST(NULL AS VARCHAR) AS user_uuid, CAST(NULL AS VARCHAR) AS language, ' +
  'CAST(NULL AS VARCHAR) AS country, CAST(NULL AS VARCHAR) AS subscription_type, CAST(NULL AS VARCHAR) AS subscription_status, ' +
  'CAST(NULL AS VARCHAR) AS enrichment_status, CAST(NULL AS VARCHAR) AS payload, CAST(NULL AS VARCHAR) AS source_key, ' +
  'CAST(NULL AS TIMESTAMPTZ) AS ingested_at, CAST(NULL AS VARCHAR) AS batch_id WHERE false';

const EMPTY_QUARANTINE =
  'SELECT CAST(NULL AS VARCHAR) AS batch_id, CAST(NULL AS VARCHAR) AS source_key, CAST(NULL AS BIGINT) AS line_no, ' +
  'CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR[]) AS errors, CAST(NULL AS VARCHAR) AS raw_line, ' +
  'CAST(NULL AS VARCHAR) AS raw_base64, CAST(NULL AS BIGINT) AS raw_size_bytes, CAST(NULL AS BOOLEAN) AS truncated, ' +
  'CAST(NULL AS VARCHAR) AS quarantined_at WHERE false';

/**
 * The batch ids readers may see: those with a committed marker (Layout.committedMarker), and, for lakes
 * written before markers existed, those with a run summary (written after the checkpoint moved).
 */
async function committedBatches(lake: LocalLake, root: string): Promise<string> {
  const globs: string[] = [];
  if (await hasObject(lake.objects, Layout.committedPrefix, '.json')) globs.push(`${root}/${Layout.committedPrefix}*.json`);
  if (await hasObject(lake.objects, 'runs/', '.json')) globs.push(`${root}/runs/*.json`);
  if (globs.length === 0) return "(SELECT CAST(NULL AS VARCHAR) AS batch_id WHERE false)";
  return `(SELECT batch_id FROM read_json([${globs.map(sqlPathLiteral).join(', ')}], columns = {batch_id: 'VARCHAR'}, format = 'auto'))`;
}

/**
 * Creates the analyst views `events` (published curated table) and `quarantine` in the lake's DuckDB. Both
 * show committed batches only: a query sees a batch wholly or not at all, at every moment of its commit.
 */
export async function createLakeViews(lake: LocalLake): Promise<void> {
  const root = lake.objects.uri('').replace(/\/$/, '');
  const committed = await committedBatches(lake, root);
  const events = (await hasObject(lake.objects, Layout.curatedEvents, '.parquet'))
    ? `SELECT * FROM read_parquet(${sqlPathLiteral(`${root}/curated/events/event_type=*/event_date=*/*.parquet`)}, hive_partitioning = true, hive_types = {'event_type': VARCHAR, 'event_date': DATE}) WHERE batch_id IN ${committed}`
    : EMPTY_EVENTS;
  const quarantine = (await hasObject(lake.objects, 'quarantine/', '.ndjson'))
    ? `SELECT * FROM read_json(${sqlPathLiteral(`${root}/quarantine/*/*.ndjson`)}, format = 'newline_delimited', columns = ${QUARANTINE_COLUMNS}, maximum_object_size = 1048576) WHERE batch_id IN ${committed}`
    : EMPTY_QUARANTINE;
  await lake.sql.run({ name: 'create_view_events', text: `CREATE OR REPLACE VIEW events AS ${events}` });
  await lake.sql.run({ name: 'create_view_quarantine', text: `CREATE OR REPLACE VIEW quarantine AS ${quarantine}` });
}
