import { join } from 'node:path';
import { DuckDbEngine } from '../../src/adapters/local/duckdb-engine';
import { DuckDbSources } from '../../src/adapters/local/duckdb-sources';
import { FolderObjectStore } from '../../src/adapters/local/folder-object-store';
import { RoutedObjectStore } from '../../src/adapters/aws/routed-object-store';
import type { SqlRow } from '../../src/ports/sql-engine';
import { systemClock } from '../../src/ports/clock';
import { DEFAULT_CONFIG, Layout } from '../../src/pipeline/config';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { bucketRoutes } from '../../src/runtime/aws-deps';
import type { AwsEnv } from '../../src/runtime/aws-env';
import { recognizeAthenaStatement, type RecognizedStatement } from '../../src/runtime/athena-state-query';
import { runAthenaTwin } from '../../src/runtime/athena-twin';
import type { AthenaColumn, AthenaExecutor, AthenaExecutorResult } from '../fakes/athena-fake';

/**
 * DuckDB relations with Iceberg's commit semantics: a MERGE is visible as soon as it commits (no pending
 * folder published at CommitBatch as in the local runtime), so the batch's rows are counted from the
 * curated table alone, as VerifyBatch does on Athena.
 */
class IcebergTwinSources extends DuckDbSources {
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
const WRITES = new Set(['clear_classified', 'classify_batch', 'merge_group']);

/**
 * The Athena twin of the offline AWS proof: `s3Root/<bucket>/<key>` are the fake S3's objects, routed by
 * key prefix exactly as the Lambdas route them (bucketRoutes), and every statement the fake receives must be
 * one of sql/athena/*.sql over `database` (recognizeAthenaStatement): anything else fails the query.
 */
export async function openIcebergTwin(s3Root: string, env: AwsEnv): Promise<IcebergTwin> {
  const objects = new RoutedObjectStore(
    bucketRoutes(env).map(({ prefix, bucket }) => ({ prefix, store: new FolderObjectStore(join(s3Root, bucket)) })),
  );
  const sql = await DuckDbEngine.create({ memoryLimit: '1GB' });
  const deps: PipelineDeps = {
    objects,
    state: undefined as never,
    sql,
    dialect: 'duckdb',
    sources: new IcebergTwinSources(objects),
    clock: systemClock,
    config: DEFAULT_CONFIG,
    progress: () => undefined,
  };

  const executor: AthenaExecutor = async (text) => {
    const statement = recognizeAthenaStatement(text, env.glueDatabase);
    if (statement === undefined) throw new Error(`not one of sql/athena/*.sql over ${env.glueDatabase}: ${text.slice(0, 160)}`);
    if (!WRITES.has(statement.name)) return toResult(await runAthenaTwin(deps, statement));
    const stats = statement.name === 'merge_group' ? await mergeStats(deps, statement) : { partitionsWritten: 1 };
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
