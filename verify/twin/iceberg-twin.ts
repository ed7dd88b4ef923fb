import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbEngine } from '../../src/adapters/local/duckdb-engine';
import { DuckDbSources } from '../../src/adapters/local/duckdb-sources';
import { FolderObjectStore } from '../../src/adapters/local/folder-object-store';
import { RoutedObjectStore } from '../../src/adapters/aws/routed-object-store';
import type { SqlRow } from '../../src/ports/sql-engine';
import { systemClock } from '../../src/ports/clock';
import { DEFAULT_CONFIG } from '../../src/pipeline/config';
import { Layout } from '../../src/ports/layout';
import type { PipelineDeps } from '../../src/pipeline/deps';
import type { ObjectStore } from '../../src/ports/object-store';
import { ATHENA_TABLES } from '../../src/workflow/athena-tables';
import { bucketRoutes } from '../../src/runtime/aws/deps';
import type { AwsEnv } from '../../src/workflow/environment';
import { recognizeAthenaStatement, type RecognizedStatement } from '../../src/workflow/athena-state-query';
import { runAthenaTwin } from '../../src/runtime/athena-twin';
import type { AthenaColumn, AthenaExecutor, AthenaExecutorResult } from '../fakes/athena-fake';
import { analyzeStatement } from '../fakes/athena-statement';
import { sqlPathLiteral } from '../../src/sql/render';
import { duckdbType, isColumnType } from '../../src/sql/duckdb-columns';

/** A Glue table of the template, as the twin reads it for analysts' queries. */
export interface TwinTable {
  readonly name: string;
  /** `s3://bucket/prefix/`. */
  readonly location: string;
  readonly iceberg: boolean;
  /** The files' format (from the Glue SerDe; Iceberg data files are Parquet). */
  readonly format: 'json' | 'parquet';
  /** Data columns then partition keys, Hive type names. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly partitionKeys: readonly string[];
  /** Partition columns with injected partition projection (`projection.<col>.type = injected`). */
  readonly injected: readonly string[];
  /** Partition projection is enabled (`projection.enabled`): Athena computes the partitions instead of reading Glue's. */
  readonly projected: boolean;
}

/** A Glue VIRTUAL_VIEW of the template: its decoded Presto view definition. */
export interface TwinView {
  readonly name: string;
  readonly originalSql: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** The template's Glue catalog, for analysts' queries (SELECTs that are none of sql/athena/*.sql). */
export interface TwinCatalog {
  readonly tables: readonly TwinTable[];
  readonly views: readonly TwinView[];
}

/**
 * DuckDB relations with Iceberg's commit semantics: a MERGE is visible as soon as it commits (no pending
 * folder published at CommitBatch as in the local runtime), so the batch's rows are counted from the
 * curated table alone, as VerifyBatch does on Athena.
 */
class IcebergTwinSources extends DuckDbSources {
  constructor(
    objects: ObjectStore,
    private readonly s3Root: string,
    private readonly catalog: TwinCatalog,
  ) {
    super(objects);
  }

  /**
   * The erasure tables as Athena reads them: the template's Glue table over its location in the fake S3,
   * with its declared columns and the JSON SerDe's one-object-per-line reading (tableRelation), so a wrong
   * location, column or file layout shows here as it would on Athena.
   */
  override erasedUsersSource(): Promise<string> {
    return Promise.resolve(this.glueTable(ATHENA_TABLES.erasedUsers));
  }

  override erasureSaltSource(): Promise<string> {
    return Promise.resolve(this.glueTable(ATHENA_TABLES.erasureSalt));
  }

  private glueTable(name: string): string {
    const table = this.catalog.tables.find((t) => t.name === name);
    if (table === undefined) throw new Error(`TABLE_NOT_FOUND: the template has no Glue table ${name}`);
    return `(${tableRelation(this.s3Root, table)})`;
  }

  protected override mergeFolder(): string {
    return Layout.curatedEvents;
  }

  override async batchRowsSource(): Promise<string> {
    return this.curatedSource();
  }
}

export interface IcebergTwin {
  /** DuckDB PipelineDeps over the fake S3 buckets' folders (the staged, classified and curated files). */
  readonly deps: PipelineDeps;
  /** The Athena fake's executor: each of our statements run as its DuckDB counterpart. */
  readonly executor: AthenaExecutor;
  close(): Promise<void>;
}

/** Statements that write: run on commit, once the fake has judged their stats (two-phase). */
const WRITES = new Set(['clear_classified', 'classify_batch', 'merge_group', 'optimize_partition', 'vacuum_events', 'vacuum_classified', 'forget_curated_rows', 'forget_classified_rows']);

/**
 * The Athena twin of the offline AWS proof: `s3Root/<bucket>/<key>` are the fake S3's objects, routed by
 * key prefix exactly as the Lambdas route them (bucketRoutes), and every statement the fake receives must be
 * one of sql/athena/*.sql over `database` (recognizeAthenaStatement): anything else fails the query.
 */
export async function openIcebergTwin(s3Root: string, env: AwsEnv, catalog: TwinCatalog = { tables: [], views: [] }): Promise<IcebergTwin> {
  const objects = new RoutedObjectStore(
    bucketRoutes(env).map(({ prefix, bucket }) => ({ prefix, store: new FolderObjectStore(join(s3Root, bucket)) })),
  );
  const sql = await DuckDbEngine.create({ memoryLimit: '1GB' });
  const deps: PipelineDeps = {
    objects,
    state: undefined as never,
    sql,
    dialect: 'duckdb',
    sources: new IcebergTwinSources(objects, s3Root, catalog),
    clock: systemClock,
    config: DEFAULT_CONFIG,
    progress: () => undefined,
  };

  const executor: AthenaExecutor = async (text, context) => {
    const statement = recognizeAthenaStatement(text, env.glueDatabase);
    if (statement === undefined) {
      // An analyst's unqualified names resolve in the execution context's database ("QueryExecutionContext:
      // The database and data catalog context in which the query execution occurs",
      // https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionContext.html); without one, `default`, as the Athena fake takes it.
      const database = context.database ?? 'default';
      if (isReaderQuery(text, database, catalog)) return toResult(await readerQuery(sql, s3Root, database, catalog, text));
      throw new Error(`not one of sql/athena/*.sql over ${env.glueDatabase}: ${text.slice(0, 160)}`);
    }
    if (!WRITES.has(statement.name)) return toResult(await runAthenaTwin(deps, statement));
    const stats = statement.name === 'merge_group' ? await mergeStats(deps, statement) : { partitionsWritten: statement.name.startsWith('vacuum_') ? 0 : 1 };
    return { columns: [], rows: [], stats, commit: async () => void (await runAthenaTwin(deps, statement)) };
  };
  return { deps, executor, close: () => sql.close() };
}

/** What Athena would judge a MERGE by: partitions it writes, and source rows that share an ON key. */
async function mergeStats(deps: PipelineDeps, statement: RecognizedStatement): Promise<AthenaExecutorResult['stats']> {
  const [batchId] = statement.params as [string];
  const [row] = await deps.sql.query<{ partitions: number; duplicates: number }>(
    {
      name: 'verify/merge_stats',
      text:
        `SELECT count(DISTINCT (event_type, event_date)) AS partitions, ` +
        `count(*) - count(DISTINCT (event_uuid, event_type, event_date)) AS duplicates ` +
        `FROM ${deps.sources.classifiedSource(batchId)} WHERE batch_id = ? AND merge_group = CAST(? AS INTEGER) AND class = 'insert' ` +
        `AND event_type BETWEEN ? AND ? AND event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`,
    },
    statement.params,
  );
  return { partitionsWritten: Number(row?.partitions ?? 0), mergeSourceDuplicateKeys: Number(row?.duplicates ?? 0) };
}

/** DuckDB rows as Athena's result set: text cells, types read off the values. */
function toResult(rows: readonly SqlRow[]): AthenaExecutorResult {
  const names = rows[0] ? Object.keys(rows[0]) : [];
  const columns: AthenaColumn[] = names.map((name) => {
    const sample = rows.map((r) => r[name]).find((v) => v !== null && v !== undefined);
    const type = typeof sample === 'number' ? (Number.isInteger(sample) ? 'bigint' : 'double') : typeof sample === 'boolean' ? 'boolean' : 'varchar';
    return { name, type };
  });
  return {
    columns,
    rows: rows.map((r) => names.map((name) => (r[name] === null || r[name] === undefined ? null : String(r[name] as string | number | boolean)))),
  };
}

/** A SELECT that reads only tables and views of the template's catalog: what an analyst runs. */
function isReaderQuery(text: string, database: string, catalog: TwinCatalog): boolean {
  const analysis = analyzeStatement(text, database);
  const known = new Set([...catalog.tables, ...catalog.views].map((t) => t.name));
  return analysis.kind === 'SELECT' && analysis.statements === 1 && analysis.reads.length > 0 && analysis.reads.every((r) => r.database === database && known.has(r.table));
}

/** The DuckDB type of a Glue column of the template (src/sql/duckdb-columns.ts, timestamps without zone as in Athena). */
function duckType(hiveType: string): string {
  if (!isColumnType(hiveType)) throw new Error(`twin: no DuckDB type for Glue type ${hiveType}`);
  return duckdbType({ type: hiveType }, 'without zone');
}

/**
 * An analyst's query as Athena runs it over the Glue catalog: each table a DuckDB view over its files in
 * the fake buckets (Iceberg tables: the Parquet files MERGE committed; NDJSON tables: every object under
 * the location, Hive partitions from the path), each Glue view created from the SQL its Presto view text
 * holds (the template's text, run as it is), then the query. Athena's rules kept:
 * - a view whose SQL no longer yields its declared columns fails as stale ("Athena displays an error
 *   message when it detects stale views", https://docs.aws.amazon.com/athena/latest/ug/considerations-limitations-views.html);
 * - a table with an injected projected partition column needs a literal equality on it in the query
 *   ("Your query must include at least one value for the partition key ... the query fails with ...
 *   CONSTRAINT_VIOLATION", https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html).
 */
async function readerQuery(sql: DuckDbEngine, s3Root: string, database: string, catalog: TwinCatalog, text: string): Promise<SqlRow[]> {
  const schema = `"${database}"`;
  await sql.run({ name: 'verify/reader_schema', text: `CREATE SCHEMA IF NOT EXISTS ${schema}` });
  const reached = new Set<string>();
  const reach = (query: string) => {
    for (const ref of analyzeStatement(query, database).reads) {
      if (reached.has(ref.table)) continue;
      reached.add(ref.table);
      const view = catalog.views.find((v) => v.name === ref.table);
      if (view !== undefined) reach(view.originalSql);
    }
  };
  reach(text);
  for (const table of catalog.tables) {
    for (const column of table.injected) {
      if (reached.has(table.name) && !new RegExp(`\\b${column}\\s*=\\s*'[^']*'`, 'i').test(text)) {
        throw new Error(
          `CONSTRAINT_VIOLATION: For the injected projected partition column ${column}, the WHERE clause must contain only static equality conditions, and at least one such condition must be present.`,
        );
      }
    }
    await sql.run({ name: 'verify/reader_table', text: `CREATE OR REPLACE VIEW ${schema}."${table.name}" AS ${tableRelation(s3Root, table)}` });
  }
  for (const view of catalog.views) {
    await sql.run({ name: 'verify/reader_view', text: `CREATE OR REPLACE VIEW ${schema}."${view.name}" AS ${view.originalSql}` });
    const described = await sql.query<{ column_name: string }>({ name: 'verify/reader_view_columns', text: `DESCRIBE ${schema}."${view.name}"` });
    const actual = described.map((c) => c.column_name).join(', ');
    const declared = view.columns.map((c) => c.name).join(', ');
    if (actual !== declared) throw new Error(`VIEW_IS_STALE: view ${database}.${view.name} declares (${declared}) but its SQL yields (${actual})`);
  }
  // The query runs with the context database as DuckDB's default schema, for unqualified names (a saved query
  // names `events`, not `eventlake_dev.events`). The three calls queue back to back on the engine's one
  // connection (src/adapters/local/duckdb-engine.ts), so no other statement runs while the schema is switched.
  const use = sql.run({ name: 'verify/reader_schema_use', text: `SET schema = '${database}'` });
  const rows = sql.query({ name: 'verify/reader_query', text });
  const reset = sql.run({ name: 'verify/reader_schema_reset', text: 'RESET schema' });
  await Promise.allSettled([use, rows, reset]);
  await use;
  await reset;
  return rows;
}

/** A Glue table's rows, read from its files in the fake S3 (an empty relation of its columns when none). */
function tableRelation(s3Root: string, table: TwinTable): string {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(table.location);
  if (match === null) throw new Error(`twin: not an s3:// location: ${table.location}`);
  const folder = join(s3Root, match[1] as string, match[2] as string);
  const columns = table.columns.map((c) => `"${c.name}"`).join(', ');
  const empty = `SELECT ${table.columns.map((c) => `CAST(NULL AS ${duckType(c.type)}) AS "${c.name}"`).join(', ')} WHERE false`;
  // A partitioned Hive table without projection reads the partitions Glue holds, and nothing here adds one (no
  // MSCK REPAIR TABLE, ALTER TABLE ADD PARTITION or Glue partition call): "information about the new partitions
  // needs to be added to the catalog ... so that you can query the data in the new partitions from Athena"
  // (https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html).
  if (!table.iceberg && table.partitionKeys.length > 0 && !table.projected) return empty;
  const files = listFiles(folder, table.format === 'parquet' ? '.parquet' : '');
  if (files.length === 0) return empty;
  const list = `[${files.map(sqlPathLiteral).join(', ')}]`;
  if (table.iceberg) return `SELECT ${columns} FROM read_parquet(${list}, hive_partitioning = true, union_by_name = true)`;
  const dataColumns = table.columns.filter((c) => !table.partitionKeys.includes(c.name));
  const partitions = table.partitionKeys.map((key) => `regexp_extract(filename, '${key}=([^/]+)/', 1) AS "${key}"`);
  if (table.format === 'parquet') {
    const typed = dataColumns.map((c) => `CAST("${c.name}" AS ${duckType(c.type)}) AS "${c.name}"`);
    return `SELECT ${[...typed, ...partitions].join(', ')} FROM read_parquet(${list}, filename = true)`;
  }
  const struct = `{${dataColumns.map((c) => `${c.name}: '${duckType(c.type)}'`).join(', ')}}`;
  return (
    `SELECT ${[...dataColumns.map((c) => `"${c.name}"`), ...partitions].join(', ')} FROM read_json(${list}, format = 'newline_delimited', ` +
    `columns = ${struct}, maximum_object_size = 1048576, filename = true)`
  );
}

/** Every file under `folder` (recursively) ending in `suffix`, sorted. */
function listFiles(folder: string, suffix: string): string[] {
  if (!existsSync(folder)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix)) found.push(join(entry.parentPath, entry.name));
  }
  return found.sort();
}
