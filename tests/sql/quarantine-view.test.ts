import { DuckDbEngine } from '../../src/adapters/local/duckdb-engine';
import type { ColumnSpec } from '../../src/contract/columns';
import { quarantineViewSql } from '../../src/sql/quarantine-view';

/**
 * The `quarantine` view's SQL, shared by the local view and the Athena view (src/sql/quarantine-view.ts), on
 * relations of a few rows: which outcome each record shows. The Athena twin of verify:aws runs the same text
 * over the Glue tables of the template (tests/verify/verify-aws.test.ts).
 */
const COLUMNS: readonly ColumnSpec[] = [
  { name: 'batch_id', type: 'string', comment: '' },
  { name: 'source_key', type: 'string', comment: '' },
  { name: 'line_no', type: 'bigint', comment: '' },
];

const records = (rows: readonly [string, string, number][]) =>
  `(SELECT * FROM (VALUES ${rows.map(([b, k, l]) => `('${b}', '${k}', CAST(${l} AS BIGINT))`).join(', ')}) AS v (batch_id, source_key, line_no))`;

const outcomes = (rows: readonly [key: string, line: number, quarantineBatch: string, at: string, replayBatch: string, outcome: string][]) =>
  `(SELECT * FROM (VALUES ${rows.map(([k, l, q, at, r, o]) => `('${k}', CAST(${l} AS BIGINT), '${q}', '${at}', '${r}', '${o}')`).join(', ')}) ` +
  `AS v (source_key, line_no, quarantine_batch_id, replayed_at, replay_batch_id, replay_outcome))`;

const T1 = '2024-04-08T13:00:00.000Z';
const T2 = '2024-04-09T13:00:00.000Z';
const T3 = '2024-04-10T13:00:00.000Z';

describe('the quarantine view (one SQL text for DuckDB and Athena)', () => {
  let sql: DuckDbEngine;
  beforeAll(async () => {
    sql = await DuckDbEngine.create();
  });
  afterAll(() => sql.close());

  it('shows each record of a committed batch with its latest outcome of a committed replay, null when none', async () => {
    const text = quarantineViewSql(COLUMNS, {
      records: records([
        ['b1', 'raw/a.gz', 1],
        ['b1', 'raw/a.gz', 2],
        ['b1', 'raw/a.gz', 3],
        ['b1', 'raw/a.gz', 4],
        ['b1', 'raw/a.gz', 5],
        ['b2', 'raw/b.gz', 1],
      ]),
      outcomes: outcomes([
        // Line 1: replayed three times; r3 is not committed, so r2's outcome is the latest a reader sees.
        ['raw/a.gz', 1, 'b1', T1, 'r1', 'still_invalid'],
        ['raw/a.gz', 1, 'b1', T2, 'r2', 'merged'],
        ['raw/a.gz', 1, 'b1', T3, 'r3', 'conflict'],
        // Line 3: the same key and line quarantined by another batch is another record.
        ['raw/a.gz', 3, 'b9', T1, 'r1', 'merged'],
        // Line 4: two replays planned at the same time: the greater replay batch id wins, as locally.
        ['raw/a.gz', 4, 'b1', T1, 'r2', 'duplicate'],
        ['raw/a.gz', 4, 'b1', T1, 'r1', 'still_invalid'],
        // Line 5: replayed only by the uncommitted r3.
        ['raw/a.gz', 5, 'b1', T3, 'r3', 'merged'],
      ]),
      committedBatchIds: `(SELECT batch_id FROM (VALUES ('b1'), ('r1'), ('r2')) AS c (batch_id))`,
    });

    const rows = await sql.query({ name: 'test/quarantine_view', text: `SELECT * FROM (${text}) ORDER BY batch_id, source_key, line_no` });

    expect(rows).toEqual([
      { batch_id: 'b1', source_key: 'raw/a.gz', line_no: 1, replayed_at: T2, replay_batch_id: 'r2', replay_outcome: 'merged' },
      { batch_id: 'b1', source_key: 'raw/a.gz', line_no: 2, replayed_at: null, replay_batch_id: null, replay_outcome: null },
      { batch_id: 'b1', source_key: 'raw/a.gz', line_no: 3, replayed_at: null, replay_batch_id: null, replay_outcome: null },
      { batch_id: 'b1', source_key: 'raw/a.gz', line_no: 4, replayed_at: T1, replay_batch_id: 'r2', replay_outcome: 'duplicate' },
      { batch_id: 'b1', source_key: 'raw/a.gz', line_no: 5, replayed_at: null, replay_batch_id: null, replay_outcome: null },
    ]);
  });
});
