import { hasObject, type ObjectStore } from '../ports/object-store';
import type { SqlStatement } from '../ports/sql-engine';
import type { LocalLake } from '../runtime/local-lake';
import { sqlPathLiteral } from '../sql/render';
import { Layout } from '../ports/layout';
import { BATCH_ID_COLUMN, EVENTS_COLUMNS, QUARANTINE_COLUMNS } from '../contract/columns';
import { emptyRelation, readJsonColumns } from '../sql/duckdb-columns';
import { COMPACTIONS, visibleFiles } from '../pipeline/compact';
import { committedBatchesSql } from '../pipeline/committed-batches';
import { notErasedQuarantineLine } from '../pipeline/erased-users';

const QUARANTINE_VIEW_COLUMNS = [BATCH_ID_COLUMN, ...QUARANTINE_COLUMNS];
const QUARANTINE_READ_COLUMNS = readJsonColumns(QUARANTINE_VIEW_COLUMNS);
const EMPTY_EVENTS = emptyRelation(EVENTS_COLUMNS);
const EMPTY_QUARANTINE = emptyRelation(QUARANTINE_VIEW_COLUMNS);

/**
 * The statements creating the analyst views `events` (published curated table) and `quarantine` over a lake's
 * files. Both show committed batches only: a query sees a batch wholly or not at all, at every moment of its commit.
 * The quarantine hides what later runs quarantined of forgotten users (src/pipeline/erased-users.ts).
 */
export async function lakeViewStatements(objects: ObjectStore): Promise<SqlStatement[]> {
  const root = objects.uri('').replace(/\/$/, '');
  const committed = await committedBatchesSql(objects);
  const events = (await hasObject(objects, Layout.curatedEvents, '.parquet'))
    // The table's column order (hive partition columns would otherwise come last), as on AWS.
    // Compacted files count once their manifest exists, replaced files no longer do: a compaction in progress
    // never doubles nor drops a row (src/pipeline/compact.ts visibleFiles, docs/operations.md#compaction).
    ? `SELECT ${EVENTS_COLUMNS.map((c) => c.name).join(', ')} FROM read_parquet(${sqlPathLiteral(`${root}/curated/events/event_type=*/event_date=*/*.parquet`)}, hive_partitioning = true, hive_types = {'event_type': VARCHAR, 'event_date': DATE}, filename = true) WHERE batch_id IN ${committed} AND ${visibleFiles(root, await hasObject(objects, COMPACTIONS, '.json'))}`
    : EMPTY_EVENTS;
  const quarantine = (await hasObject(objects, 'quarantine/', '.ndjson'))
    ? `SELECT ${QUARANTINE_VIEW_COLUMNS.map((c) => c.name).join(', ')} FROM read_json(${sqlPathLiteral(`${root}/quarantine/*/*.ndjson`)}, format = 'newline_delimited', columns = ${QUARANTINE_READ_COLUMNS}, maximum_object_size = 1048576) WHERE batch_id IN ${committed} AND ${await notErasedQuarantineLine(objects)}`
    : EMPTY_QUARANTINE;
  return [
    { name: 'create_view_events', text: `CREATE OR REPLACE VIEW events AS ${events}` },
    { name: 'create_view_quarantine', text: `CREATE OR REPLACE VIEW quarantine AS ${quarantine}` },
  ];
}

/** Creates the analyst views in the lake's DuckDB (lakeViewStatements). */
export async function createLakeViews(lake: LocalLake): Promise<void> {
  for (const statement of await lakeViewStatements(lake.objects)) await lake.sql.run(statement);
}
