import { mkdirSync } from 'node:fs';
import { hasObject, type ObjectStore } from '../../ports/object-store';
import { Layout, partStreamOf } from '../../ports/layout';
import type { SqlSources } from '../../ports/sql-sources';
import { sqlPathLiteral } from '../../sql/render';
import { BATCH_ID_COLUMN, STAGED_COLUMNS } from '../../contract/columns';
import { emptyRelation } from '../../sql/duckdb-columns';

const EMPTY_STAGED = `(${emptyRelation([...STAGED_COLUMNS, BATCH_ID_COLUMN])})`;

const EMPTY_CURATED =
  '(SELECT CAST(NULL AS VARCHAR) AS event_uuid, CAST(NULL AS VARCHAR) AS payload, ' +
  'CAST(NULL AS VARCHAR) AS batch_id, CAST(NULL AS DATE) AS event_date WHERE false)';

const EMPTY_ERASED_USERS = '(SELECT CAST(NULL AS VARCHAR) AS user_hash WHERE false)';
const EMPTY_ERASURE_SALT = '(SELECT CAST(NULL AS VARCHAR) AS salt WHERE false)';

const EMPTY_BATCH_ROWS = '(SELECT CAST(NULL AS VARCHAR) AS batch_id, CAST(NULL AS DATE) AS event_date WHERE false)';

const MERGE_ROW_GROUP_ROWS = 61_440;

/** DuckDB relations over the lake folder (docs/contract.md#layout). */
export class DuckDbSources implements SqlSources {
  constructor(private readonly objects: ObjectStore) {}

  async stagedSource(batchId: string, sliceCount: number): Promise<string> {
    // Every part of every slice's final and enriched stream (a slice's streams are closed before this runs).
    const prefixes = new Set<string>();
    for (let slice = 0; slice < sliceCount; slice++) {
      prefixes.add(Layout.stagedFinal(batchId, slice).prefix).add(Layout.stagedEnriched(batchId, slice).prefix);
    }
    const present: string[] = [];
    for await (const info of this.objects.list(Layout.staged(batchId))) {
      const stream = partStreamOf(info.key);
      if (stream !== undefined && prefixes.has(stream)) present.push(info.key);
    }
    if (present.length === 0) return EMPTY_STAGED;
    const files = present.map((key) => sqlPathLiteral(this.objects.uri(key))).join(', ');
    // batch_id comes from the Hive-style path, as Athena's partition column does: no value is spliced in.
    return (
      `(SELECT * EXCLUDE (filename), regexp_extract(filename, 'batch_id=([0-9a-f]+)/', 1) AS batch_id ` +
      `FROM read_parquet([${files}], filename = true))`
    );
  }

  async curatedSource(): Promise<string> {
    if (!(await hasObject(this.objects, Layout.curatedEvents, '.parquet'))) return EMPTY_CURATED;
    return this.parquetGlob(Layout.curatedEvents);
  }

  async erasedUsersSource(): Promise<string> {
    if (!(await hasObject(this.objects, Layout.erasureRecords, '.json'))) return EMPTY_ERASED_USERS;
    const glob = `${this.objects.uri(Layout.erasureRecords).replace(/\/$/, '')}/*.json`;
    return `(SELECT user_hash FROM read_json(${sqlPathLiteral(glob)}, columns = {user_hash: 'VARCHAR'}))`;
  }

  async erasureSaltSource(): Promise<string> {
    if (!(await this.objects.exists(Layout.erasureSalt))) return EMPTY_ERASURE_SALT;
    return `(SELECT salt FROM read_json(${sqlPathLiteral(this.objects.uri(Layout.erasureSalt))}, columns = {salt: 'VARCHAR'}))`;
  }

  classifiedTarget(batchId: string): string {
    return sqlPathLiteral(this.objects.uri(Layout.classified(batchId)));
  }

  classifiedSource(batchId: string): string {
    return `read_parquet(${sqlPathLiteral(this.objects.uri(Layout.classified(batchId)))})`;
  }

  mergeTarget(batchId: string, group: number): string {
    if (!Number.isInteger(group) || group < 0) throw new RangeError(`merge group must be a non-negative integer: ${group}`);
    const path = this.objects.uri(this.mergeFolder(batchId)).replace(/\/$/, '');
    // DuckDB's partitioned COPY creates the target folder but not its parents.
    mkdirSync(path, { recursive: true });
    const dir = sqlPathLiteral(path);
    // Row groups of 61,440 rows (DuckDB's default is 122,880): a partitioned write buffers one per partition
    // and thread, so the merge of 1M events peaked ~100 MiB lower (docs/performance.md); compaction rewrites
    // the files anyway (src/pipeline/compact.ts).
    return (
      `${dir} (FORMAT parquet, PARTITION_BY (event_type, event_date), ROW_GROUP_SIZE ${MERGE_ROW_GROUP_ROWS}, ` +
      `FILENAME_PATTERN 'part-${batchId}-g${group}-{i}', OVERWRITE_OR_IGNORE true)`
    );
  }

  /** Where a batch's merged files go: its pending folder, published by CommitBatch. */
  protected mergeFolder(batchId: string): string {
    return Layout.curatedPending(batchId);
  }

  async batchRowsSource(batchId: string): Promise<string> {
    const parts: string[] = [];
    if (await hasObject(this.objects, Layout.curatedPending(batchId), '.parquet')) parts.push(this.parquetGlob(Layout.curatedPending(batchId)));
    if (await hasObject(this.objects, Layout.curatedEvents, '.parquet')) parts.push(this.parquetGlob(Layout.curatedEvents));
    if (parts.length === 0) return EMPTY_BATCH_ROWS;
    return `(${parts.map((p) => `SELECT batch_id, event_date FROM ${p}`).join(' UNION ALL ')})`;
  }

  private parquetGlob(prefix: string): string {
    const glob = `${this.objects.uri(prefix).replace(/\/$/, '')}/event_type=*/event_date=*/*.parquet`;
    return `read_parquet(${sqlPathLiteral(glob)}, hive_partitioning = true, hive_types = {'event_type': VARCHAR, 'event_date': DATE})`;
  }

}
