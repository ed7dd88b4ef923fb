import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryLake } from '../../src/cli/commands/query';
import { compact } from '../../src/pipeline/compact';
import { Layout } from '../../src/ports/layout';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { runOk } from '../helpers/run';

const ALL_ROWS = 'SELECT * FROM events ORDER BY event_uuid';
const COUNTS = 'SELECT event_type, event_date, batch_id, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL';

/** Every curated Parquet file, by partition. */
async function partitionFiles(lake: TestLake): Promise<Map<string, { name: string; size: number }[]>> {
  const partitions = new Map<string, { name: string; size: number }[]>();
  for await (const info of lake.objects.list(Layout.curatedEvents)) {
    const at = info.key.lastIndexOf('/');
    const folder = info.key.slice(0, at);
    partitions.set(folder, [...(partitions.get(folder) ?? []), { name: info.key.slice(at + 1), size: info.sizeBytes }]);
  }
  return partitions;
}

/** Columns and types of one curated file, as written (partition columns live in the path). */
async function fileSchema(lake: TestLake): Promise<unknown> {
  const [partition, files] = [...(await partitionFiles(lake))][0] ?? [];
  const file = lake.objects.uri(`${partition}/${files?.[0]?.name}`);
  return queryLake(lake, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${file}'))`);
}

async function answers(lake: TestLake): Promise<string> {
  return JSON.stringify([await queryLake(lake, ALL_ROWS), await queryLake(lake, COUNTS)]);
}

describe('eventlake compact (issue 11, local)', () => {
  let lake: TestLake;
  let before: string;
  let beforeCounts: string;
  let beforeSchema: unknown;
  jest.setTimeout(60_000);

  let template: TestLake;
  beforeAll(async () => {
    template = await makeTestLake();
    // 12 scheduled runs of 150 events each, all within two days, three event types: 12 files per partition.
    for (let run = 0; run < 12; run++) {
      const lines = [];
      for (let i = 0; i < 50; i++) {
        const at = T0 - (i % 2) * 86_400 + run * 60 + i;
        lines.push(otherEvent(at, 'app:opened'), otherEvent(at + 1, 'page:viewed'), lessonEvent(`u${i % 7}`, 'es', at + 2));
      }
      await putRaw(template, rawKey(run, `r${run}`), lines);
      await runOk(template);
    }
    before = await answers(template);
    beforeCounts = JSON.stringify(await queryLake(template, COUNTS));
    beforeSchema = await fileSchema(template);
    await template.close();
  });
  afterAll(() => rm(template.root, { recursive: true, force: true }));

  // Each test works on its own copy of the lake.
  beforeEach(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventlake-compact-'));
    await cp(template.root, dir, { recursive: true });
    lake = await makeTestLake({ dir });
  });
  afterEach(() => lake.cleanup());

  it('rewrites each partition into at most ceil(size/target) files, every query answering the same at every step', async () => {
    const filesBefore = await partitionFiles(lake);
    expect([...filesBefore.values()].every((files) => files.length === 12)).toBe(true);
    const target = 16 * 1024;
    // Readers at every publish and every delete: never a batch missing or doubled.
    const seen = new Set<string>();
    const move = lake.objects.move.bind(lake.objects);
    const del = lake.objects.delete.bind(lake.objects);
    lake.objects.move = async (from, to) => {
      await move(from, to);
      seen.add(JSON.stringify(await queryLake(lake, COUNTS)));
    };
    lake.objects.delete = async (key) => {
      await del(key);
      seen.add(JSON.stringify(await queryLake(lake, COUNTS)));
    };
    const put = lake.objects.put.bind(lake.objects);
    let manifests = 0;
    lake.objects.put = async (key, body) => {
      await put(key, body);
      if (key.startsWith('curated/compactions/')) manifests++;
      seen.add(JSON.stringify(await queryLake(lake, COUNTS)));
    };

    const report = await compact(lake, { targetBytes: target });
    expect(manifests).toBe(filesBefore.size);

    expect(report.status).toBe('compacted');
    expect(report.partitions_compacted).toBe(filesBefore.size);
    expect([...seen]).toEqual([beforeCounts]);
    expect(await answers(lake)).toBe(before);
    const after = await partitionFiles(lake);
    // The target splits some partitions: several files, each published on its own, were checked above.
    expect(report.files_after).toBeGreaterThan(after.size);
    expect([...after.keys()].sort()).toEqual([...filesBefore.keys()].sort());
    for (const [partition, files] of after) {
      const size = (filesBefore.get(partition) ?? []).reduce((n, f) => n + f.size, 0);
      expect(files.length).toBeLessThanOrEqual(Math.ceil(size / target));
      expect(files.every((f) => /^compact-00000001-\d+\.parquet$/.test(f.name))).toBe(true);
    }
    // Column types as well as values: the curated files' schema (names, order, types) is unchanged.
    expect(await fileSchema(lake)).toEqual(beforeSchema);

    // Idempotent: a second compaction changes nothing.
    const again = await compact(lake, { targetBytes: target });
    expect(again.partitions_compacted).toBe(0);
    expect(await partitionFiles(lake)).toEqual(after);
    expect(await answers(lake)).toBe(before);
  });

  it('compacts into one file per partition at the default target, and keeps working with new runs after it', async () => {
    await compact(lake);
    expect([...(await partitionFiles(lake)).values()].every((files) => files.length === 1)).toBe(true);
    await putRaw(lake, rawKey(13, 'late'), [otherEvent(T0 + 5, 'app:opened'), otherEvent(T0 + 6, 'app:opened')]);
    const summary = await runOk(lake);
    expect(summary.inserted).toBe(2);
    await compact(lake);
    expect(Number((await queryLake(lake, 'SELECT count(*) AS n FROM events'))[0]?.n)).toBe(12 * 150 + 2);
    expect([...(await partitionFiles(lake)).values()].every((files) => files.length === 1)).toBe(true);
  });

  it('killed after the first partition, readers see every row once and the next compact finishes it', async () => {
    await expect(compact(lake, { afterPartition: () => { throw new Error('killed'); } })).rejects.toThrow('killed');
    const files = [...(await partitionFiles(lake)).values()];
    expect(files.filter((f) => f.length === 1)).toHaveLength(1);
    expect(await answers(lake)).toBe(before);
    // The lease was released (a killed process's lease expires instead; either way the next compact runs).
    const report = await compact(lake);
    expect(report.partitions_compacted).toBe(files.length - 1);
    expect(await answers(lake)).toBe(before);
    expect([...(await partitionFiles(lake)).values()].every((f) => f.length === 1)).toBe(true);
  });

  it('killed between publishing and deleting the old files, readers see every row once and the next compact removes them', async () => {
    const del = lake.objects.delete.bind(lake.objects);
    let deletes = 0;
    lake.objects.delete = async (key) => {
      if (++deletes === 4) throw new Error('killed');
      await del(key);
    };
    await expect(compact(lake)).rejects.toThrow('killed');
    lake.objects.delete = del;
    const partitions = await partitionFiles(lake);
    const partial = [...partitions.values()].find((f) => f.some((x) => x.name.startsWith('compact-')));
    expect(partial?.length).toBeGreaterThan(1);
    expect(await answers(lake)).toBe(before);

    const report = await compact(lake);
    expect(report.partitions.find((p) => p.removed_superseded > 0)).toBeDefined();
    expect(await answers(lake)).toBe(before);
    expect([...(await partitionFiles(lake)).values()].every((f) => f.length === 1)).toBe(true);
    expect((await compact(lake)).partitions_compacted).toBe(0);
  });

  it('killed while writing a compacted file, leaves nothing readers see and the next compact starts over', async () => {
    const move = lake.objects.move.bind(lake.objects);
    lake.objects.move = () => Promise.reject(new Error('killed'));
    await expect(compact(lake)).rejects.toThrow('killed');
    lake.objects.move = move;
    expect(await answers(lake)).toBe(before);
    await compact(lake);
    expect(await answers(lake)).toBe(before);
    const staged = [];
    for await (const o of lake.objects.list('curated/_compacting/')) staged.push(o.key);
    expect(staged).toEqual([]);
  });

  it('skips while a run holds the lease, changing nothing', async () => {
    await lake.state.acquireLease({ name: lake.config.pipelineName, owner: 'scheduled-run', nowMs: lake.clock.now().getTime(), ttlMs: 60_000 });
    const filesBefore = await partitionFiles(lake);
    const report = await compact(lake);
    expect(report).toMatchObject({ status: 'skipped', holder: 'scheduled-run', partitions_compacted: 0 });
    expect(await partitionFiles(lake)).toEqual(filesBefore);
  });

  it("leaves the files of a batch that is not committed (published, no marker) untouched", async () => {
    // A run killed between publishing and its marker: its files sit in curated/events/ without a marker.
    const [partition] = [...(await partitionFiles(lake)).keys()];
    const orphan = `${partition}/part-${'f'.repeat(32)}-g0-0.parquet`;
    const some = [...(await partitionFiles(lake)).get(partition as string) ?? []][0];
    const source = lake.objects.uri(`${partition}/${some?.name}`);
    await lake.sql.run({ name: 'orphan', text: `COPY (SELECT * REPLACE ('${'f'.repeat(32)}' AS batch_id) FROM read_parquet('${source}')) TO '${lake.objects.uri(orphan)}' (FORMAT parquet)` });
    await compact(lake);
    expect((await partitionFiles(lake)).get(partition as string)?.map((f) => f.name)).toContain(orphan.slice(orphan.lastIndexOf('/') + 1));
    expect(await answers(lake)).toBe(before);
  });
});
