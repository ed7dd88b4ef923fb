import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { queryLake } from '../../src/cli/commands/query';
import { compact } from '../../src/pipeline/compact';
import { Layout } from '../../src/ports/layout';
import { sqlPathLiteral } from '../../src/sql/render';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, type TestLake } from '../helpers/lake';
import { runOk } from '../helpers/run';

const RUNS = 96;
const DAY_START = Date.UTC(2024, 3, 7) / 1000;
/** Events per quarter-hour and type: small on purpose, the test is about file counts and answers. */
const PER_QUARTER = 8;
const TARGET_BYTES = 96 * 1024;

const SAVED_QUERIES = join(__dirname, '..', '..', 'sql', 'queries');

/** The queries whose answers compaction must not change; each orders its rows, so its answer is one text. */
const QUERIES: Readonly<Record<string, string>> = {
  rows: 'SELECT count(*) AS n, count(DISTINCT event_uuid) AS uuids, count(DISTINCT batch_id) AS batches FROM events',
  per_type_day:
    'SELECT event_type, event_date, count(*) AS n, count(DISTINCT event_uuid) AS uuids, count(DISTINCT user_uuid) AS users, ' +
    'min(created_at) AS first, max(created_at) AS last FROM events GROUP BY ALL ORDER BY ALL',
  per_batch: 'SELECT batch_id, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL',
  every_row: 'SELECT * FROM events ORDER BY event_uuid',
  // The saved queries analysts run (sql/queries/), as they are.
  ...Object.fromEntries(
    readdirSync(SAVED_QUERIES)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => [`saved ${f}`, readFileSync(join(SAVED_QUERIES, f), 'utf8')]),
  ),
};

/**
 * Each query's answer as text. The saved queries' ORDER BY leaves ties (two partitions with as many events)
 * in no defined order, so their rows are compared as a sorted list: the same rows, whatever the tie order.
 */
async function answers(lake: TestLake): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, sql] of Object.entries(QUERIES)) {
    const rows = (await queryLake(lake, sql)).map((row) => JSON.stringify(row));
    out[name] = JSON.stringify(name.startsWith('saved ') ? rows.sort() : rows);
  }
  return out;
}

/** Curated Parquet files' sizes, by partition folder. */
async function partitions(lake: TestLake): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  for await (const info of lake.objects.list(Layout.curatedEvents)) {
    const folder = info.key.slice(0, info.key.lastIndexOf('/'));
    found.set(folder, [...(found.get(folder) ?? []), info.sizeBytes]);
  }
  return found;
}

/**
 * The one committed batch of a day, as the 15-minute schedule would have committed it: one batch per
 * quarter-hour of created_at, each with its own id, its own merged file per partition it touches
 * (`part-<batch>-g0-0.parquet`, columns as MERGE writes them) and its own committed marker. 96 real runs
 * take minutes on a busy 2-core machine (about a second each, whatever their size); this split writes the
 * same layout in one DuckDB COPY.
 */
async function splitIntoQuarterHours(lake: TestLake, batchId: string): Promise<void> {
  const root = lake.objects.uri('').replace(/\/$/, '');
  const temp = join(root, 'split-temp');
  // The quarter-hour of arrival: late events of the day before arrive with the same time of day.
  const quarter = `CAST(floor(((created_at - ${DAY_START}) % 86400 + 86400) % 86400 / 900) AS INTEGER)`;
  const id = `'${batchId}' || lpad(CAST(greatest(0, least(${RUNS - 1}, ${quarter})) AS VARCHAR), 2, '0')`;
  await lake.sql.run({
    name: 'split_day',
    text:
      `COPY (SELECT * EXCLUDE (event_type, event_date) REPLACE (${id} AS batch_id), event_type AS p_type, event_date AS p_date, ${id} AS p_batch ` +
      `FROM read_parquet(${sqlPathLiteral(`${root}/${Layout.curatedEvents}**/*.parquet`)}, hive_partitioning = true, hive_types = {'event_type': VARCHAR, 'event_date': DATE}) ` +
      `ORDER BY created_at, event_uuid) TO ${sqlPathLiteral(temp)} (FORMAT parquet, PARTITION_BY (p_type, p_date, p_batch))`,
  });
  for await (const info of lake.objects.list(Layout.curatedEvents)) await lake.objects.delete(info.key);
  await lake.objects.delete(Layout.committedMarker(batchId));
  await lake.objects.delete(Layout.runSummary(batchId));
  const batches = new Set<string>();
  for (const entry of await readdir(temp, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const match = /p_type=([^/]+)\/p_date=([^/]+)\/p_batch=([0-9a-f]+)$/.exec(entry.parentPath);
    if (match === null) throw new Error(`unexpected split file ${entry.parentPath}`);
    const [, type, date, batch] = match as unknown as [string, string, string, string];
    const target = join(root, `${Layout.curatedEvents}event_type=${type}/event_date=${date}/part-${batch}-g0-0.parquet`);
    await mkdir(dirname(target), { recursive: true });
    await rename(join(entry.parentPath, entry.name), target);
    batches.add(batch);
  }
  await rm(temp, { recursive: true, force: true });
  for (const batch of batches) {
    await lake.objects.put(Layout.committedMarker(batch), `${JSON.stringify({ batch_id: batch, mode: 'scheduled', committed_at: '2024-04-08T00:00:00.000Z' })}\n`);
  }
}

describe('issue 11: 96 runs of a day of traffic, then compaction', () => {
  jest.setTimeout(60_000);
  let lake: TestLake;
  afterAll(() => lake.cleanup());

  it('leaves at most ceil(size/target) files per partition and every query answers the same', async () => {
    lake = await makeTestLake();
    // A day of traffic as Firehose lands it: one raw object per quarter-hour, three event types, and some
    // events of the day before arriving late (a second event_date per type).
    let expected = 0;
    for (let q = 0; q < RUNS; q++) {
      const lines = [];
      for (let i = 0; i < PER_QUARTER; i++) {
        const at = DAY_START + q * 900 + i * 60 - (i % 4 === 3 ? 86_400 : 0);
        lines.push(otherEvent(at, 'app:opened'), otherEvent(at + 1, 'page:viewed'), lessonEvent(`u${i % 5}`, 'es', at + 2));
      }
      expected += lines.length;
      await putRaw(lake, rawKey(Math.floor(q / 4), `q${q}`), lines);
    }
    const summary = await runOk(lake);
    expect(summary.inserted).toBe(expected);
    await splitIntoQuarterHours(lake, summary.batch_id);

    const before = await answers(lake);
    expect(JSON.parse(before.rows as string)).toEqual([JSON.stringify({ n: summary.inserted, uuids: summary.inserted, batches: RUNS })]);
    const filesBefore = await partitions(lake);
    // Many small files: the busiest partitions hold a file of nearly every quarter-hour's batch.
    expect(Math.max(...[...filesBefore.values()].map((f) => f.length))).toBeGreaterThan(RUNS / 2);

    const report = await compact(lake, { targetBytes: TARGET_BYTES });
    expect(report.status).toBe('compacted');

    const filesAfter = await partitions(lake);
    expect([...filesAfter.keys()].sort()).toEqual([...filesBefore.keys()].sort());
    for (const [partition, sizes] of filesAfter) {
      const size = (filesBefore.get(partition) ?? []).reduce((a, b) => a + b, 0);
      expect({ partition, files: sizes.length, atMost: Math.ceil(size / TARGET_BYTES) }).toEqual({
        partition,
        files: Math.min(sizes.length, Math.ceil(size / TARGET_BYTES)),
        atMost: Math.ceil(size / TARGET_BYTES),
      });
    }
    // The target splits the largest partitions, so "at most ceil(size/target)" is not trivially 1 file.
    expect(Math.max(...[...filesAfter.values()].map((f) => f.length))).toBeGreaterThan(1);
    expect(await answers(lake)).toEqual(before);
  });
});
