import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../src/adapters/local/file-state-store';
import { makeTestLake, otherEvent, putRaw, rawKey, T0 } from '../helpers/lake';
import { runOk } from '../helpers/run';
import { cli } from './helpers';

const COUNTS = 'SELECT event_type, event_date, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL';

/** The lake's objects, by key (the CLI runs at today's date: everything of 2024 is old). */
async function objectKeys(dir: string): Promise<string[]> {
  const lake = await makeTestLake({ dir });
  const keys: string[] = [];
  for (const prefix of ['raw/', 'staging/', 'quarantine/', 'curated/events/']) for await (const info of lake.objects.list(prefix)) keys.push(info.key);
  await lake.close();
  return keys;
}

describe('eventlake retain', () => {
  let template: string;
  let dir: string;
  beforeAll(async () => {
    template = await mkdtemp(join(tmpdir(), 'eventlake-retain-cli-'));
    const lake = await makeTestLake({ dir: template });
    await putRaw(lake, rawKey(3, 'a'), [otherEvent(T0), otherEvent(T0 - 86_400, 'page:viewed'), 'not json']);
    await runOk(lake);
    await lake.close();
  });
  afterAll(() => rm(template, { recursive: true, force: true }));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-retain-cli-'));
    await cp(template, dir, { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('--dry-run --json reports per area what would go and removes nothing', async () => {
    const before = await objectKeys(dir);
    const result = await cli('retain', '--dry-run', '--json', '--lake', dir);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as { status: string; retention_source: string; areas: Record<string, { days: number | null; removed_objects: number; removed_bytes: number }> };
    expect(report).toMatchObject({ status: 'dry_run', retention_source: 'defaults' });
    expect(report.areas.raw).toMatchObject({ days: 90, removed_objects: 1 });
    expect(report.areas.quarantine).toMatchObject({ days: 365, removed_objects: 1 });
    expect(report.areas.curated).toMatchObject({ days: null, removed_objects: 0 });
    expect(report.areas.staging!.removed_bytes).toBeGreaterThan(0);
    expect(await objectKeys(dir)).toEqual(before);
  });

  it('with the defaults removes old raw, staging and quarantine, keeps the curated table and its answers', async () => {
    const counts = await cli('query', COUNTS, '--format', 'json', '--lake', dir);
    const result = await cli('retain', '--lake', dir);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^retention applied at /);
    expect(result.out).toMatch(/raw +90 days \(before \d{4}-\d{2}-\d{2}\): removed 1 of 1 objects/);
    expect(result.out).toMatch(/curated +kept forever: removed 0 of 2 objects/);
    expect((await objectKeys(dir)).every((k) => k.startsWith('curated/events/'))).toBe(true);
    expect((await cli('query', COUNTS, '--format', 'json', '--lake', dir)).out).toBe(counts.out);
  });

  it('reads <lake>/retention.json, and the command line overrides it', async () => {
    await writeFile(join(dir, 'retention.json'), JSON.stringify({ raw_days: 100000, staging_days: 100000, quarantine_days: 100000 }));
    const fromFile = JSON.parse((await cli('retain', '--dry-run', '--json', '--lake', dir)).out) as { retention_source: string; areas: Record<string, { days: number; removed_objects: number }> };
    expect(fromFile.retention_source).toBe(join(dir, 'retention.json'));
    expect(Object.values(fromFile.areas).map((a) => a.removed_objects)).toEqual([0, 0, 0, 0]);
    const overridden = JSON.parse((await cli('retain', '--dry-run', '--json', '--raw-days', '30', '--curated-days', '30', '--lake', dir)).out) as typeof fromFile;
    expect(overridden.retention_source).toBe(`${join(dir, 'retention.json')} + flags`);
    expect(overridden.areas.raw).toMatchObject({ days: 30, removed_objects: 1 });
    expect(overridden.areas.curated).toMatchObject({ days: 30, removed_objects: 2 });
  });

  it('exits 3 and removes nothing while a run holds the lease', async () => {
    const before = await objectKeys(dir);
    const state = await FileStateStore.open(join(dir, 'state'));
    await state.acquireLease({ name: 'microbatch', owner: 'someone-else', nowMs: Date.now(), ttlMs: 60_000 });
    const result = await cli('retain', '--lake', dir);
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/retain skipped: another run holds the lease \(someone-else\)/);
    expect(await objectKeys(dir)).toEqual(before);
  });

  it('status shows what each area keeps and its oldest object', async () => {
    const json = JSON.parse((await cli('status', '--json', '--lake', dir)).out) as { retention: unknown };
    expect(json.retention).toEqual({
      source: 'defaults',
      raw: { days: 90, oldest: '2024-04-07T03:00:00.000Z' },
      staging: { days: 14, oldest: '2024-04-08T12:00:00.000Z' },
      quarantine: { days: 365, oldest: '2024-04-08T12:00:00.000Z' },
      curated: { days: null, oldest: '2024-04-06T00:00:00.000Z' },
    });
    const human = await cli('status', '--lake', dir);
    expect(human.out).toMatch(/retention +from defaults\n +raw +90 days, oldest 2024-04-07T03:00:00.000Z\n +staging +14 days, oldest 2024-04-08T12:00:00.000Z\n +quarantine +365 days, oldest 2024-04-08T12:00:00.000Z\n +curated +kept forever, oldest 2024-04-06T00:00:00.000Z/);
  });

  it.each([
    [['retain', '--raw-days', '0'], /option '--raw-days <n>' argument '0' is invalid\. expected a whole number of days >= 1, or keep/],
    [['retain', '--curated-days', '7'], /curated retention of 7 days is inside the 7-day dedup horizon: keep more than 7 days, or keep \(forever\)/],
    [['retain', '--dry', 'run'], /unknown option '--dry'/],
  ])('%j exits 2 and says what to fix', async (args, message) => {
    const result = await cli(...args, '--lake', dir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it('a retention.json that is wrong exits 2 naming the file and the fix', async () => {
    await writeFile(join(dir, 'retention.json'), '{"raw": 30}');
    const result = await cli('retain', '--lake', dir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/retention\.json: unknown key "raw": the keys are raw_days, staging_days, quarantine_days, curated_days/);
  });
});
