import { hasObject, type ObjectStore } from '../ports/object-store';
import type { SqlStatement } from '../ports/sql-engine';
import type { LocalLake } from '../runtime/local-lake';
import { sqlPathLiteral } from '../sql/render';
import { Layout } from '../ports/layout';
import { BATCH_ID_COLUMN, COMMITTED_BATCHES_COLUMNS, EVENTS_COLUMNS, QUARANTINE_COLUMNS, QUARANTINE_REPLAY_COLUMNS, REPLAY_OUTCOME_COLUMNS } from '../contract/columns';
import { emptyRelation, readJsonColumns } from '../sql/duckdb-columns';
import { quarantineViewSql } from '../sql/quarantine-view';
import { COMPACTIONS, visibleFiles } from '../pipeline/compact';
import { committedBatchesSql } from '../pipeline/committed-batches';
import { notErasedQuarantineLine } from '../pipeline/erased-users';

const QUARANTINE_RECORD_COLUMNS = [BATCH_ID_COLUMN, ...QUARANTINE_COLUMNS];
const QUARANTINE_READ_COLUMNS = readJsonColumns(QUARANTINE_RECORD_COLUMNS);
const EMPTY_EVENTS = emptyRelation(EVENTS_COLUMNS);
const EMPTY_QUARANTINE = emptyRelation([...QUARANTINE_RECORD_COLUMNS, ...QUARANTINE_REPLAY_COLUMNS]);
const EMPTY_REPLAYS = `(${emptyRelation(REPLAY_OUTCOME_COLUMNS)})`;
const EMPTY_COMMITTED_BATCHES = emptyRelation(COMMITTED_BATCHES_COLUMNS);

/**
 * The view `committed_batches`: one row per committed batch with its counts, as the Athena table of the same
 * name reads the markers (cdk/constructs/catalog.ts). A lake written before markers carried counts (or before
 * markers existed) has them in its run summaries (`runs/<batch_id>.json`, the same field names): per batch, the
 * record holding counts wins, the marker first.
 */
async function committedBatchesView(objects: ObjectStore, root: string): Promise<string> {
  const globs: string[] = [];
  if (await hasObject(objects, Layout.committedPrefix, '.json')) globs.push(`${root}/${Layout.committedPrefix}*.json`);
  if (await hasObject(objects, 'runs/', '.json')) globs.push(`${root}/runs/*.json`);
  if (globs.length === 0) return EMPTY_COMMITTED_BATCHES;
  const names = COMMITTED_BATCHES_COLUMNS.map((c) => c.name).join(', ');
  return (
    `SELECT ${names} FROM read_json([${globs.map(sqlPathLiteral).join(', ')}], columns = ${readJsonColumns(COMMITTED_BATCHES_COLUMNS)}, format = 'auto', filename = true) ` +
    `QUALIFY row_number() OVER (PARTITION BY batch_id ORDER BY lines_read IS NULL, filename LIKE '%/runs/%') = 1`
  );
}

/**
 * The statements creating the analyst views `events` (published curated table), `quarantine` and
 * `committed_batches` (one row per committed batch, with its counts) over a lake's files. They show committed
 * batches only: a query sees a batch wholly or not at all, at every moment of its commit.
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
  // Each record with its latest replay by a committed replay batch (docs/quarantine.md#replay), null columns when
  // none: the SQL of the Athena view (src/sql/quarantine-view.ts, cdk/constructs/catalog.ts).
  const outcomes = (await hasObject(objects, Layout.replays, '.ndjson'))
    ? `read_json(${sqlPathLiteral(`${root}/${Layout.replays}*/outcomes.ndjson`)}, format = 'newline_delimited', columns = ${readJsonColumns(REPLAY_OUTCOME_COLUMNS)})`
    : EMPTY_REPLAYS;
  const quarantine = (await hasObject(objects, 'quarantine/', '.ndjson'))
    ? quarantineViewSql(QUARANTINE_RECORD_COLUMNS, {
        records: `(SELECT * FROM read_json(${sqlPathLiteral(`${root}/quarantine/*/*.ndjson`)}, format = 'newline_delimited', columns = ${QUARANTINE_READ_COLUMNS}, maximum_object_size = 1048576) WHERE ${await notErasedQuarantineLine(objects)})`,
        outcomes,
        committedBatchIds: committed,
      })
    : EMPTY_QUARANTINE;
  return [
    { name: 'create_view_events', text: `CREATE OR REPLACE VIEW events AS ${events}` },
    { name: 'create_view_quarantine', text: `CREATE OR REPLACE VIEW quarantine AS ${quarantine}` },
    { name: 'create_view_committed_batches', text: `CREATE OR REPLACE VIEW committed_batches AS ${await committedBatchesView(objects, root)}` },
  ];
}

/** Creates the analyst views in the lake's DuckDB (lakeViewStatements). */
export async function createLakeViews(lake: LocalLake): Promise<void> {
  for (const statement of await lakeViewStatements(lake.objects)) await lake.sql.run(statement);
}
