import { cp, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryLake } from '../../src/cli/commands/query';
import { modifiedAtMs } from '../../src/cli/commands/retain';
import { compact, COMPACTIONS } from '../../src/pipeline/compact';
import { planBatch } from '../../src/pipeline/plan-batch';
import { retain } from '../../src/pipeline/retain';
import { fixedClock } from '../../src/ports/clock';
import { Layout } from '../../src/ports/layout';
import { DEFAULT_RETENTION, parseRetentionFile, retentionCutoffMs, type Retention } from '../../src/ports/retention';
import { makeTestLake, otherEvent, putRaw, type TestLake } from '../helpers/lake';
import { runOk } from '../helpers/run';

const DAY = 86_400;
const at = (iso: string) => Date.parse(iso) / 1000;
const firehose = (day: string, name: string) => `raw/${day.replace(/-/g, '/')}/05/eventlake-raw-1-${day}-05-00-00-${name}.gz`;

/** Either side of the raw cutoff (2024-03-09T00:00Z): the first goes, the second stays. */
const LAST_EXPIRED = 'raw/2024/03/08/23/eventlake-raw-1-2024-03-08-23-00-00-edge.gz';
const FIRST_KEPT = 'raw/2024/03/09/00/eventlake-raw-1-2024-03-09-00-00-00-edge.gz';
const EVENTS = 'SELECT event_date, event_uuid, batch_id FROM events ORDER BY ALL';
const QUARANTINE = 'SELECT batch_id, source_key, line_no, reason FROM quarantine ORDER BY ALL';
/** raw 30 days, staging 14, quarantine 60, curated 60: on 2024-04-08 the cutoffs are 03-09, 03-25, 02-08, 02-08. */
const RULES: Retention = { raw: 30, staging: 14, quarantine: 60, curated: 60 };
const NOW = '2024-04-08T12:00:00Z';

async function keys(lake: TestLake, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const info of lake.objects.list(prefix)) out.push(info.key);
  return out;
}

describe('retention rules (src/ports/retention.ts)', () => {
  it('cuts off as S3 does: an object of 2014-01-15 10:30 under a 3-day rule goes at 2014-01-19 00:00 UTC, not before', () => {
    const created = Date.parse('2014-01-15T10:30:00Z');
    expect(created < retentionCutoffMs(3, Date.parse('2014-01-19T00:00:00Z'))).toBe(true);
    expect(created < retentionCutoffMs(3, Date.parse('2014-01-18T23:59:59Z'))).toBe(false);
  });

  it('reads a retention file over the defaults and names the file and the fix when it is wrong', () => {
    expect(parseRetentionFile('{"raw_days": 30, "curated_days": null}', 'lake/retention.json')).toEqual({ ...DEFAULT_RETENTION, raw: 30 });
    expect(() => parseRetentionFile('{"raw": 30}', 'lake/retention.json')).toThrow(/lake\/retention.json: unknown key "raw": the keys are raw_days, staging_days, quarantine_days, curated_days/);
    expect(() => parseRetentionFile('{"raw_days": 0}', 'f.json')).toThrow(/f.json: raw_days: 0 is not a retention: use a whole number of days >= 1, or "keep"/);
    expect(() => parseRetentionFile('[', 'f.json')).toThrow(/f.json: not JSON/);
  });
});

describe('eventlake retain (issue 11, local)', () => {
  jest.setTimeout(60_000);
  let template: string;
  /** Batch ids of the runs of 2024-01-10, 2024-03-20 and 2024-04-07. */
  const batch: Record<'jan' | 'mar' | 'apr', string> = { jan: '', mar: '', apr: '' };
  const OLD_UNPROCESSED = firehose('2024-01-01', 'late');
  const MANUAL = 'raw/manual/dropped-by-hand.ndjson';
  const ABANDONED = 'staging/batches/0123456789abcdef0123456789abcdef/manifest.json';

  beforeAll(async () => {
    template = await mkdtemp(join(tmpdir(), 'eventlake-retain-'));
    // Three runs on three days, each committing at its own clock; one bad line each (a quarantine record).
    const runs: [keyof typeof batch, string][] = [['jan', '2024-01-10'], ['mar', '2024-03-20'], ['apr', '2024-04-07']];
    for (const [name, day] of runs) {
      const lake = await makeTestLake({ dir: template, clock: fixedClock(`${day}T12:00:00Z`) });
      const t = at(`${day}T03:00:00Z`);
      await putRaw(lake, firehose(day, name), [otherEvent(t), otherEvent(t + 1, 'page:viewed'), otherEvent(t - DAY), 'not json']);
      // A late event of 2024-01-10 arriving in April: that partition holds two batches' files.
      if (name === 'apr') await putRaw(lake, firehose(day, 'late-jan'), [otherEvent(at('2024-01-10T20:00:00Z'))]);
      if (name === 'mar') {
        await putRaw(lake, LAST_EXPIRED, [otherEvent(at('2024-03-08T23:30:00Z'))]);
        await putRaw(lake, FIRST_KEPT, [otherEvent(at('2024-03-09T00:30:00Z'))]);
      }
      if (name === 'jan') {
        // A raw object outside the hour layout: its age is its file's time.
        await putRaw(lake, MANUAL, [otherEvent(t + 2)], false);
        await utimes(lake.objects.uri(MANUAL), new Date('2024-01-10T06:00:00Z'), new Date('2024-01-10T06:00:00Z'));
      }
      batch[name] = (await runOk(lake)).batch_id;
      await lake.close();
    }
    // An old object no run has read yet, and the staging file of a batch abandoned in January (neither
    // committed nor pending: it ages from its file's time).
    const lake = await makeTestLake({ dir: template, clock: fixedClock(NOW) });
    await putRaw(lake, OLD_UNPROCESSED, [otherEvent(at('2023-12-31T23:00:00Z'))]);
    await lake.objects.put(ABANDONED, '{}');
    await utimes(lake.objects.uri(ABANDONED), new Date('2024-01-02T00:00:00Z'), new Date('2024-01-02T00:00:00Z'));
    await lake.close();
  });
  afterAll(() => rm(template, { recursive: true, force: true }));

  let lake: TestLake;
  beforeEach(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventlake-retain-'));
    await cp(template, dir, { recursive: true, preserveTimestamps: true });
    lake = await makeTestLake({ dir, clock: fixedClock(NOW) });
  });
  afterEach(() => lake.cleanup());

  const batchKeys = (all: string[], id: string) =>
    all.filter((k) => k.startsWith(`staging/batches/${id}/`) || k.startsWith(`staging/staged/batch_id=${id}/`) || k.startsWith(Layout.quarantine(id)));

  it('removes exactly the expired objects of each area, and the views answer the same for what is kept', async () => {
    const before = await keys(lake);
    const events = await queryLake(lake, EVENTS);
    const quarantine = await queryLake(lake, QUARANTINE);
    expect(new Set(events.map((r) => String(r.event_date)))).toEqual(new Set(['2024-01-09', '2024-01-10', '2024-03-08', '2024-03-09', '2024-03-19', '2024-03-20', '2024-04-06', '2024-04-07']));

    const report = await retain(lake, { retention: RULES, modifiedAtMs: modifiedAtMs(lake.objects) });
    expect(report.status).toBe('retained');

    // The late object arrived in April (its key's hour): kept, though its only event is of January.
    const expected = [
      firehose('2024-01-10', 'jan'),
      MANUAL,
      LAST_EXPIRED,
      ABANDONED,
      ...batchKeys(before, batch.jan).filter((k) => k.startsWith('staging/')),
      ...batchKeys(before, batch.mar).filter((k) => k.startsWith('staging/')),
      ...batchKeys(before, batch.jan).filter((k) => k.startsWith('quarantine/')),
      ...before.filter((k) => /event_date=2024-01-(09|10)\//.test(k)),
    ].sort();
    const after = await keys(lake);
    expect(before.filter((k) => !after.includes(k)).sort()).toEqual(expected);
    // Kept: the unprocessed old object, everything younger than its cutoff.
    expect(after).toEqual(expect.arrayContaining([OLD_UNPROCESSED, firehose('2024-03-20', 'mar'), FIRST_KEPT]));
    expect(report.areas.raw).toMatchObject({ days: 30, cutoff: '2024-03-09T00:00:00.000Z', removed_objects: 3, protected_objects: 1, oldest: '2024-01-01T05:00:00.000Z' });
    expect(report.areas.staging).toMatchObject({ removed_objects: expected.filter((k) => k.startsWith('staging/')).length, protected_objects: 0, oldest: '2024-04-07T12:00:00.000Z' });
    expect(report.areas.curated).toMatchObject({ days: 60, oldest: '2024-03-08T00:00:00.000Z' });
    expect(report.areas.curated.removed_bytes).toBeGreaterThan(0);

    expect(await queryLake(lake, EVENTS)).toEqual(events.filter((r) => String(r.event_date) >= '2024-02-08'));
    expect(await queryLake(lake, QUARANTINE)).toEqual(quarantine.filter((r) => r.batch_id !== batch.jan));

    // A second pass finds nothing more to remove.
    const again = await retain(lake, { retention: RULES, modifiedAtMs: modifiedAtMs(lake.objects) });
    expect(Object.values(again.areas).map((a) => a.removed_objects)).toEqual([0, 0, 0, 0]);
  });

  it('with the defaults (curated kept forever) removes only raw, staging and quarantine past 90, 14 and 365 days', async () => {
    const before = await keys(lake);
    const report = await retain(lake, { retention: DEFAULT_RETENTION });
    const after = await keys(lake);
    expect(before.filter((k) => !after.includes(k)).sort()).toEqual(
      [...batchKeys(before, batch.jan), ...batchKeys(before, batch.mar)].filter((k) => k.startsWith('staging/')).sort(),
    );
    expect(report.areas.curated).toMatchObject({ days: null, cutoff: null, removed_objects: 0 });
  });

  it('after a compaction: an expired partition goes with its manifest, the others still answer the same', async () => {
    const compacted = await compact(lake, {});
    expect(compacted.partitions_compacted).toBeGreaterThan(0);
    const events = await queryLake(lake, EVENTS);
    expect(await keys(lake, `${COMPACTIONS}event_type=app/event_date=2024-01-10/`)).toHaveLength(1);
    await retain(lake, { retention: RULES });
    expect(await keys(lake, `${COMPACTIONS}event_type=app/event_date=2024-01-10/`)).toEqual([]);
    expect(await queryLake(lake, EVENTS)).toEqual(events.filter((r) => String(r.event_date) >= '2024-02-08'));
  });

  it('a dry run reports the same removals and removes nothing', async () => {
    const before = await keys(lake);
    const dry = await retain(lake, { retention: RULES, dryRun: true, modifiedAtMs: modifiedAtMs(lake.objects) });
    expect(dry.status).toBe('dry_run');
    expect(await keys(lake)).toEqual(before);
    const real = await retain(lake, { retention: RULES, modifiedAtMs: modifiedAtMs(lake.objects) });
    expect(dry.areas).toEqual(real.areas);
  });

  it('does nothing while another run holds the lease', async () => {
    await lake.state.acquireLease({ name: lake.config.pipelineName, owner: 'a-running-batch', nowMs: Date.parse(NOW), ttlMs: 60_000 });
    const before = await keys(lake);
    const report = await retain(lake, { retention: RULES });
    expect(report).toMatchObject({ status: 'skipped', holder: 'a-running-batch' });
    expect(await keys(lake)).toEqual(before);
  });

  it('never removes the files of the batch the next run resumes, however old they are', async () => {
    // A scheduled batch planned (its checkpoint points at it) and not run since: the next run resumes it.
    const plan = await planBatch(lake, { mode: 'scheduled' });
    expect(plan.object_count).toBe(1);
    const pendingStaging = await keys(lake, Layout.batch(plan.batch_id));
    expect(pendingStaging.length).toBeGreaterThan(0);
    for (const key of pendingStaging) await utimes(lake.objects.uri(key), new Date('2024-01-02T00:00:00Z'), new Date('2024-01-02T00:00:00Z'));
    const report = await retain(lake, { retention: RULES, modifiedAtMs: modifiedAtMs(lake.objects) });
    expect(await keys(lake)).toEqual(expect.arrayContaining([...pendingStaging, OLD_UNPROCESSED]));
    expect(report.areas.staging.protected_objects).toBe(pendingStaging.length);
  });

  it('never removes a curated file of a batch that is not committed, even in an expired partition', async () => {
    const partition = (await keys(lake, Layout.curatedEvents)).find((k) => k.includes('event_date=2024-01-10/'))!;
    const orphan = partition.replace(/[^/]+$/, 'part-0123456789abcdef0123456789abcdef-g0-0.parquet');
    await lake.objects.put(orphan, 'not read by this test');
    await retain(lake, { retention: RULES });
    expect(await keys(lake, partition.replace(/[^/]+$/, ''))).toEqual([orphan]);
  });
});
