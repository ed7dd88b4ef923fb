import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store';
import { queryLake } from '../../src/cli/commands/query';
import { lakeStatus } from '../../src/cli/commands/status';
import type { RunSummary } from '../../src/pipeline/run-summary';
import type { ObjectStore } from '../../src/ports/object-store';
import { TASK_FACTORIES } from '../../tasks/index';
import { makeTestLake, otherEvent, putRaw, T0, type TestLake } from '../helpers/lake';
import { curatedFingerprint, curatedRows, expectBalanced, runOk, runScheduled } from '../helpers/run';
import { fakeS3 } from '../adapters/aws/s3-fake';

/**
 * A poison raw object (a name the pipeline cannot use, a file that is not a regular file, an object gone
 * by the time it is read) must never block the batch: it becomes ONE quarantine record, counted as one
 * line, its neighbours load, and the next run has nothing left to do.
 */
const HOUR_DIR = 'raw/2024/04/07/10';
const key = (name: string) => `${HOUR_DIR}/eventlake-raw-1-2024-04-07-10-00-00-${name}`;

interface QuarantineRow {
  source_key: string;
  reason: string;
  line_no: number | null;
  errors: string[];
}

describe('poison raw objects never block a batch', () => {
  let lake: TestLake;
  let good: { event_uuid: string }[];

  beforeEach(async () => {
    lake = await makeTestLake();
    // Good neighbours on both sides (in key order) of every poison entry below.
    const a = otherEvent(T0);
    const b = otherEvent(T0 + 1);
    const c = otherEvent(T0 + 2);
    await putRaw(lake, `${HOUR_DIR}/0-first.gz`, [a, b]);
    await putRaw(lake, `raw/2024/04/07/11/z-later.gz`, [c]);
    good = [a, b, c];
  });
  afterEach(() => lake.cleanup());

  const file = (relative: string | Buffer): string | Buffer =>
    Buffer.isBuffer(relative) ? Buffer.concat([Buffer.from(`${lake.root}/`), relative]) : path.join(lake.root, relative);

  /** Runs the batch and checks everything the brief asks of a poison object; returns its one quarantine row. */
  async function expectOnePoison(
    poisonKey: string,
    reason: string,
    options: { summaryOf?: () => Promise<RunSummary>; stillListed?: boolean } = {},
  ): Promise<QuarantineRow> {
    const { summaryOf, stillListed = true } = options;
    const s = summaryOf ? await summaryOf() : await runOk(lake);

    expect(s.status).toBe('committed');
    expectBalanced(s);
    expect(s).toMatchObject({ inserted: good.length, quarantined: 1, quarantined_by_reason: { [reason]: 1 }, lines_read: good.length + 1 });
    expect((await curatedRows(lake)).map((r) => r.event_uuid)).toEqual(good.map((e) => e.event_uuid).sort());
    const rows = (await queryLake(lake, 'SELECT source_key, reason, line_no, errors FROM quarantine')) as unknown as QuarantineRow[];
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ source_key: poisonKey, reason, line_no: null });
    // The message names the key (escaped as JSON), what is wrong and what to do.
    expect(row?.errors.join(' ')).toContain(JSON.stringify(poisonKey));

    // A second run changes nothing: the poison entry is in the processed ledger like any other object.
    const fingerprint = await curatedFingerprint(lake);
    const again = await runScheduled(lake);
    expect(again.status).toBe('SUCCEEDED');
    expect((again.output as unknown as RunSummary).status).toBe('nothing_to_do');
    expect(await curatedFingerprint(lake)).toEqual(fingerprint);
    expect(await queryLake(lake, 'SELECT count(*) AS n FROM quarantine')).toEqual([{ n: 1 }]);
    const status = await lakeStatus(lake);
    expect(status.raw_objects_unprocessed).toBe(0);
    expect(status.raw_objects_unprocessable).toBe(stillListed ? 1 : 0);
    return row as QuarantineRow;
  }

  it('quarantines a key with a backslash (refused by the key rules) as unsupported_key', async () => {
    await fs.writeFile(file(`${HOUR_DIR}/back\\slash.gz`), 'x');

    const row = await expectOnePoison(`${HOUR_DIR}/back\\\\slash.gz`, 'unsupported_key');

    expect(row.errors.join(' ')).toMatch(/backslash/);
    expect(row.errors.join(' ')).toMatch(/rename|copy/i);
  });

  it('quarantines a key longer than 1,024 bytes as unsupported_key', async () => {
    const segments = Array.from({ length: 6 }, (_, i) => `${i}${'d'.repeat(199)}`);
    const longKey = `${HOUR_DIR}/${segments.join('/')}/events.gz`;
    expect(Buffer.byteLength(longKey)).toBeGreaterThan(1100);
    await fs.mkdir(file(path.posix.dirname(longKey)), { recursive: true });
    await fs.writeFile(file(longKey), JSON.stringify(otherEvent(T0 + 3)));

    const row = await expectOnePoison(longKey, 'unsupported_key');

    expect(row.errors.join(' ')).toContain('1024 bytes');
  });

  it('quarantines a file name that is not valid UTF-8 as unsupported_key, naming its bytes', async () => {
    const name = Buffer.concat([Buffer.from(`${HOUR_DIR}/caf`), Buffer.from([0xe9]), Buffer.from('.gz')]);
    await fs.writeFile(file(name), JSON.stringify(otherEvent(T0 + 3)));

    const row = await expectOnePoison(`${HOUR_DIR}/caf\\xE9.gz`, 'unsupported_key');

    expect(row.errors.join(' ')).toMatch(/not valid UTF-8/);
  });

  it('quarantines a FIFO as not_a_regular_file without opening it', async () => {
    execFileSync('mkfifo', [file(key('pipe.gz')) as string]);

    const row = await expectOnePoison(key('pipe.gz'), 'not_a_regular_file');

    expect(row.errors.join(' ')).toMatch(/FIFO/);
  });

  it('quarantines a dangling symbolic link as not_a_regular_file', async () => {
    await fs.symlink(path.join(lake.root, 'nowhere.gz'), file(key('dangling.gz')));

    const row = await expectOnePoison(key('dangling.gz'), 'not_a_regular_file');

    expect(row.errors.join(' ')).toMatch(/symbolic link/);
  });

  it('quarantines a symbolic link loop once, and reads nothing twice', async () => {
    // raw/2024/04/07/10/loop -> raw/2024/04/07: following it would walk 10/loop/10/loop/... until ELOOP.
    await fs.symlink('..', file(`${HOUR_DIR}/loop`));

    const row = await expectOnePoison(`${HOUR_DIR}/loop`, 'not_a_regular_file');

    expect(row.errors.join(' ')).toMatch(/symbolic link/);
  });

  it('skips the store\'s temporary files (writes in progress), and status counts them as skipped', async () => {
    await fs.writeFile(file(`${HOUR_DIR}/.eventlake-tmp-part.gz.123.abcdef`), 'half a wri');

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: good.length, quarantined: 0, lines_read: good.length });
    const status = await lakeStatus(lake);
    expect(status).toMatchObject({ raw_objects: 2, raw_objects_unprocessed: 0, raw_objects_unprocessable: 0, raw_objects_skipped: 1 });
  });

  it('quarantines an object deleted between PlanBatch and ValidateSlice as object_vanished', async () => {
    const doomed = await putRaw(lake, key('doomed.gz'), [otherEvent(T0 + 3)]);
    const plan = TASK_FACTORIES['plan-batch'](lake);
    const handlerOverrides = {
      PlanBatch: async (event: unknown) => {
        const planned = await plan(event);
        await lake.objects.delete(doomed);
        return planned;
      },
    };

    const row = await expectOnePoison(doomed, 'object_vanished', {
      stillListed: false,
      summaryOf: async () => {
        const result = await runScheduled(lake, { handlerOverrides });
        if (result.status !== 'SUCCEEDED') throw new Error(`run failed: ${result.error}: ${result.cause}`);
        return result.output as unknown as RunSummary;
      },
    });

    expect(row.errors.join(' ')).toMatch(/no longer exists/);
  });
});

describe('poison raw objects on S3 (the same classification, the S3 adapter underneath)', () => {
  let lake: TestLake;
  let bucket: Map<string, Buffer>;
  let s3Lake: TestLake;

  beforeEach(async () => {
    lake = await makeTestLake();
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    bucket = fakeS3(client, 'raw-bucket').objects;
    // raw/ lives in the (fake) S3 bucket; staging, quarantine and curated stay in the lake folder for DuckDB.
    const s3 = new S3ObjectStore({ client, bucket: 'raw-bucket' });
    const local = lake.objects;
    const storeOf = (key: string): ObjectStore => (key.startsWith('raw/') ? s3 : local);
    const objects: ObjectStore = {
      list: (prefix) => storeOf(prefix).list(prefix),
      get: (k) => storeOf(k).get(k),
      getStream: (k) => storeOf(k).getStream(k),
      put: (k, body) => storeOf(k).put(k, body),
      exists: (k) => storeOf(k).exists(k),
      delete: (k) => storeOf(k).delete(k),
      move: (from, to) => storeOf(from).move(from, to),
      uri: (k) => local.uri(k),
    };
    s3Lake = { ...lake, objects };
  });
  afterEach(() => lake.cleanup());

  it('quarantines keys S3 lists but the key rules refuse, and an object gone after planning, and loads the rest', async () => {
    const a = otherEvent(T0);
    const b = otherEvent(T0 + 1);
    await putRaw(s3Lake, key('a.gz'), [a]);
    await putRaw(s3Lake, key('z.gz'), [b]);
    const refused = [`${HOUR_DIR}/back\\slash.gz`, `${HOUR_DIR}/double//slash.gz`, `${HOUR_DIR}/.eventlake-tmp-upload.gz`];
    for (const k of refused) bucket.set(k, Buffer.from(`${JSON.stringify(otherEvent(T0 + 2))}\n`));
    const doomed = await putRaw(s3Lake, key('doomed.gz'), [otherEvent(T0 + 3)]);
    const plan = TASK_FACTORIES['plan-batch'](s3Lake);
    const handlerOverrides = {
      PlanBatch: async (event: unknown) => {
        const planned = await plan(event);
        bucket.delete(doomed); // a lifecycle rule or an operator: GetObject now answers NoSuchKey
        return planned;
      },
    };

    const result = await runScheduled(s3Lake, { handlerOverrides });

    expect([result.status, result.error, result.cause].filter(Boolean).join(': ')).toBe('SUCCEEDED');
    const s = result.output as unknown as RunSummary;
    expectBalanced(s);
    expect(s).toMatchObject({ inserted: 2, quarantined: 4, quarantined_by_reason: { unsupported_key: 3, object_vanished: 1 } });
    expect((await curatedRows(s3Lake)).map((r) => r.event_uuid)).toEqual([a.event_uuid, b.event_uuid].sort());
    const rows = await queryLake(s3Lake, 'SELECT source_key, reason FROM quarantine ORDER BY source_key');
    expect(rows).toEqual(
      [...refused.map((k) => ({ source_key: k, reason: 'unsupported_key' })), { source_key: doomed, reason: 'object_vanished' }].sort((x, y) =>
        Buffer.compare(Buffer.from(x.source_key), Buffer.from(y.source_key)),
      ),
    );
    const again = await runScheduled(s3Lake);
    expect((again.output as unknown as RunSummary).status).toBe('nothing_to_do');
  });
});
