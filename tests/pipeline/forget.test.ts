import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { queryLake } from '../../src/cli/commands/query';
import { compact } from '../../src/pipeline/compact';
import { lakeSalt, userHash } from '../../src/pipeline/erasure-log';
import { forget } from '../../src/pipeline/forget';
import { accountKey } from '../../src/pipeline/entity-key';
import { Layout } from '../../src/ports/layout';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, subscriptionEvent, T0, userUuid, type TestLake } from '../helpers/lake';
import { backfillOk, expectBalanced, runOk } from '../helpers/run';

const GONE = 'u-gone';
const KEPT = 'u-kept';
const DAY = 86_400;

/** Every file under the lake, relative path -> sha256. */
async function fileHashes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.set(relative(root, path), createHash('sha256').update(await readFile(path)).digest('hex'));
    }
  }
  await walk(root);
  return out;
}

/** Files outside raw/ whose bytes hold `text` (any case), plus Parquet files holding it in a row (compressed pages hide bytes). */
async function filesHolding(lake: TestLake, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of (await fileHashes(lake.root)).keys()) {
    if (path.startsWith('raw/')) continue;
    const bytes = await readFile(join(lake.root, path));
    if (bytes.toString('latin1').toLowerCase().includes(text.toLowerCase())) found.push(path);
    else if (path.endsWith('.parquet')) {
      const [row] = await queryLake(lake, `SELECT count(*)::INTEGER AS n FROM read_parquet('${join(lake.root, path)}') WHERE user_uuid = '${text}' OR payload ILIKE '%${text}%'`);
      if ((row as { n: number }).n > 0) found.push(path);
    }
  }
  return found;
}

async function rowsOf(lake: TestLake, user: string): Promise<number> {
  const [row] = await queryLake(lake, `SELECT count(*)::INTEGER AS n FROM events WHERE user_uuid = '${userUuid(user)}'`);
  return (row as { n: number }).n;
}

async function quarantineHolding(lake: TestLake, text: string): Promise<number> {
  const [row] = await queryLake(lake, `SELECT count(*)::INTEGER AS n FROM quarantine WHERE raw_line ILIKE '%${text}%'`);
  return (row as { n: number }).n;
}

/**
 * Two users over two days (account, subscription, lessons), events without a user, and bad lines of both users:
 * one that parses (an account event without created_at), one that does not parse at all.
 */
async function seed(lake: TestLake): Promise<void> {
  await putRaw(lake, rawKey(10, 'a'), [
    accountEvent(GONE, T0, { country: 'FR' }),
    accountEvent(KEPT, T0, { country: 'DE' }),
    subscriptionEvent(GONE, 'es', T0 + 1, { subscription_type: 'monthly', subscription_status: 'active' }),
    subscriptionEvent(KEPT, 'es', T0 + 1, { subscription_type: 'yearly', subscription_status: 'active' }),
    lessonEvent(GONE, 'es', T0 + 60),
    lessonEvent(KEPT, 'es', T0 + 60),
    lessonEvent(GONE, 'es', T0 + DAY),
    lessonEvent(KEPT, 'es', T0 + DAY),
    otherEvent(T0 + 5),
    otherEvent(T0 + DAY + 5, 'app:closed'),
    { event_uuid: 'not-a-uuid', event_name: 'account:created', created_at: T0, user_uuid: userUuid(GONE) },
    `{"event_uuid": "broken, "user_uuid": "${userUuid(GONE).toUpperCase()}"`,
    { event_uuid: 'not-a-uuid', event_name: 'account:created', created_at: T0, user_uuid: userUuid(KEPT) },
  ]);
}

/** A lake with `seed` run once. */
async function seededLake(): Promise<TestLake> {
  const lake = await makeTestLake();
  await seed(lake);
  expectBalanced(await runOk(lake));
  return lake;
}

describe('eventlake forget (issue 11, local)', () => {
  let lake: TestLake;
  jest.setTimeout(120_000);

  beforeEach(async () => {
    lake = await seededLake();
  });

  afterEach(async () => {
    await lake.cleanup();
  });

  it('removes the curated rows, rewriting only the partitions that held them', async () => {
    const before = await fileHashes(lake.root);
    const keptBefore = await queryLake(lake, `SELECT * FROM events WHERE user_uuid IS DISTINCT FROM '${userUuid(GONE)}' ORDER BY event_uuid`);
    expect(await rowsOf(lake, GONE)).toBe(4);

    const report = await forget(lake, userUuid(GONE).toUpperCase());

    expect(report).toMatchObject({ status: 'forgotten', removed: { curated_rows: 4, curated_partitions: 4 } });
    expect(await rowsOf(lake, GONE)).toBe(0);
    // Every other row is still there, exactly.
    expect(await queryLake(lake, 'SELECT * FROM events ORDER BY event_uuid')).toEqual(keptBefore);
    // Partitions without the user's rows (app:opened, app:closed) keep their files byte for byte.
    const after = await fileHashes(lake.root);
    const untouched = [...before].filter(([path]) => path.startsWith('curated/events/event_type=app/'));
    expect(untouched.length).toBeGreaterThan(0);
    for (const [path, hash] of untouched) expect(after.get(path)).toBe(hash);
    // Each affected partition was published by one manifest.
    const manifests: string[] = [];
    for await (const info of lake.objects.list(Layout.curatedEvents.replace('events/', 'compactions/'))) manifests.push(info.key);
    expect(manifests).toHaveLength(4);
  });

  it("removes the user's quarantined lines (parsed, and by substring when unparseable), keeps the others'", async () => {
    expect(await quarantineHolding(lake, userUuid(GONE))).toBe(2);
    expect(await quarantineHolding(lake, userUuid(KEPT))).toBe(1);

    const report = await forget(lake, userUuid(GONE));

    expect(report.removed.quarantine_lines).toBe(2);
    expect(await quarantineHolding(lake, userUuid(GONE))).toBe(0);
    expect(await quarantineHolding(lake, userUuid(KEPT))).toBe(1);
  });

  it("removes the user's enrichment state: their later lessons enrich as no_account", async () => {
    expect((await lake.state.getVersions([accountKey(userUuid(GONE))])).size).toBe(1);

    const report = await forget(lake, userUuid(GONE));

    expect(report.removed.state_entities).toBe(2);
    expect(await lake.state.getVersions([accountKey(userUuid(GONE)), `subscription#${userUuid(GONE)}#es`])).toEqual(new Map());
    expect((await lake.state.getVersions([accountKey(userUuid(KEPT))])).size).toBe(1);
  });

  it('records when and how much under a salted hash, and leaves the id nowhere but raw/', async () => {
    const report = await forget(lake, userUuid(GONE));

    const salt = await lakeSalt(lake.objects);
    expect(report.user_hash).toBe(userHash(salt, userUuid(GONE)));
    const record = JSON.parse((await lake.objects.get(Layout.erasureRecord(report.user_hash as string))).toString('utf8')) as unknown;
    expect(record).toEqual({
      user_hash: report.user_hash,
      requested_at: '2024-04-08T12:00:00.000Z',
      completed_at: '2024-04-08T12:00:00.000Z',
      removed: { curated_rows: 4, curated_partitions: 4, quarantine_lines: 2, state_entities: 2, staging_rows: expect.any(Number) as number },
    });
    expect(JSON.stringify(report)).not.toContain(salt);
    expect(await filesHolding(lake, userUuid(GONE))).toEqual([]);
    // The other user is still everywhere it was.
    expect((await filesHolding(lake, userUuid(KEPT))).length).toBeGreaterThan(0);
  });

  it('is a no-op the second time: nothing changes, not even the record', async () => {
    await forget(lake, userUuid(GONE));
    const before = await fileHashes(lake.root);

    const again = await forget(lake, userUuid(GONE));

    expect(again.status).toBe('nothing_to_do');
    expect(again.removed).toEqual({ curated_rows: 0, curated_partitions: 0, quarantine_lines: 0, state_entities: 0, staging_rows: 0 });
    const after = await fileHashes(lake.root);
    expect([...after].filter(([path]) => !path.startsWith('state/lease'))).toEqual([...before].filter(([path]) => !path.startsWith('state/lease')));
  });

  it.each(['record', 'curated', 'quarantine', 'staging'] as const)('finishes on the next forget when killed after the %s step', async (step) => {
    const keptRows = await queryLake(lake, `SELECT * FROM events WHERE user_uuid IS DISTINCT FROM '${userUuid(GONE)}' ORDER BY event_uuid`);
    await expect(
      forget(lake, userUuid(GONE), { afterStep: (at) => { if (at === step) throw new Error('killed'); } }),
    ).rejects.toThrow('killed');

    const report = await forget(lake, userUuid(GONE));

    expect(report.status).toBe('forgotten');
    expect(await rowsOf(lake, GONE)).toBe(0);
    expect(await queryLake(lake, 'SELECT * FROM events ORDER BY event_uuid')).toEqual(keptRows);
    expect(await filesHolding(lake, userUuid(GONE))).toEqual([]);
  });

  it('finishes when killed between publishing a partition and deleting its old files, never showing a row twice', async () => {
    const keptRows = await queryLake(lake, `SELECT * FROM events WHERE user_uuid IS DISTINCT FROM '${userUuid(GONE)}' ORDER BY event_uuid`);
    let published = 0;
    await expect(
      forget(lake, userUuid(GONE), {
        afterPartition: async () => {
          published += 1;
          // Readers between two partitions: the kept rows exactly, never doubled nor missing.
          expect(await queryLake(lake, `SELECT * FROM events WHERE user_uuid IS DISTINCT FROM '${userUuid(GONE)}' ORDER BY event_uuid`)).toEqual(keptRows);
          if (published === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await rowsOf(lake, GONE)).toBeGreaterThan(0);

    await forget(lake, userUuid(GONE));

    expect(await rowsOf(lake, GONE)).toBe(0);
    expect(await queryLake(lake, 'SELECT * FROM events ORDER BY event_uuid')).toEqual(keptRows);
  });

  it('keeps compaction working over the rewritten partitions: same rows after compacting', async () => {
    await forget(lake, userUuid(GONE));
    const rows = await queryLake(lake, 'SELECT * FROM events ORDER BY event_uuid');

    await compact(lake);

    expect(await queryLake(lake, 'SELECT * FROM events ORDER BY event_uuid')).toEqual(rows);
  });

  it('refuses a user id that is not a UUID, before taking the lease', async () => {
    await expect(forget(lake, 'someone')).rejects.toThrow(/--user must be a UUID/);
  });
});

describe('eventlake forget: later runs and backfills (issue 11, local)', () => {
  let lake: TestLake;
  jest.setTimeout(120_000);

  beforeEach(async () => {
    lake = await seededLake();
    await forget(lake, userUuid(GONE));
  });

  afterEach(async () => {
    await lake.cleanup();
  });

  it('a backfill of the same raw objects does not bring the user back, and still balances', async () => {
    const rows = await queryLake(lake, 'SELECT * EXCLUDE (batch_id, ingested_at) FROM events ORDER BY event_uuid');

    const summary = await backfillOk(lake, '2024-04-07', '2024-04-07');

    expectBalanced(summary);
    expect(summary.erased).toBe(4);
    expect(await rowsOf(lake, GONE)).toBe(0);
    expect(await queryLake(lake, 'SELECT * EXCLUDE (batch_id, ingested_at) FROM events ORDER BY event_uuid')).toEqual(rows);
    // Only the backfill's own staging still holds what it read from raw/ (docs/operations.md#forgetting-a-user):
    // no table, quarantine or state does.
    const holding = await filesHolding(lake, userUuid(GONE));
    expect(holding.filter((path) => !path.startsWith(`staging/batches/${summary.batch_id}/`) && !path.startsWith(`staging/staged/batch_id=${summary.batch_id}/`))).toEqual([]);
    // A forget run again clears that too, and finds nothing else.
    const again = await forget(lake, userUuid(GONE));
    expect(again.removed).toMatchObject({ curated_rows: 0, quarantine_lines: 0, state_entities: 0 });
    expect(await filesHolding(lake, userUuid(GONE))).toEqual([]);
  });

  it("a later run keeps the user's new events out; their new bad lines never show in the quarantine view; the other user goes on", async () => {
    await putRaw(lake, rawKey(12, 'b'), [
      accountEvent(GONE, T0 + 7200, { country: 'IT' }),
      lessonEvent(GONE, 'es', T0 + 7300),
      lessonEvent(KEPT, 'es', T0 + 7300),
      { event_uuid: 'not-a-uuid', event_name: 'lesson:started', created_at: T0, user_uuid: userUuid(GONE) },
    ]);

    const summary = await runOk(lake);

    expectBalanced(summary);
    expect(summary).toMatchObject({ erased: 2, inserted: 1 });
    expect(await rowsOf(lake, GONE)).toBe(0);
    expect(await quarantineHolding(lake, userUuid(GONE))).toBe(0);
    // Their state is not rebuilt either (the store drops erased users' writes): their new lesson, enriched before
    // it was classified as erased, found no account although an account event came in the same batch.
    expect(await lake.state.getVersions([accountKey(userUuid(GONE))])).toEqual(new Map());
    const classified = lake.objects.uri(Layout.classified(summary.batch_id));
    expect(await queryLake(lake, `SELECT class, enrichment_status FROM read_parquet('${classified}') WHERE user_uuid = '${userUuid(GONE)}' AND event_type = 'lesson'`)).toEqual([
      { class: 'erased', enrichment_status: 'no_account' },
    ]);
    const [kept] = await queryLake(lake, `SELECT enrichment_status FROM events WHERE user_uuid = '${userUuid(KEPT)}' AND created_at = ${T0 + 7300}`);
    expect(kept).toEqual({ enrichment_status: 'enriched' });
  });
});
