import { gzipSync } from 'node:zlib';
import { queryLake } from '../../src/cli/commands/query';
import { accountEvent, lessonEvent, makeTestLake, otherEvent, putRaw, T0, type TestLake } from '../helpers/lake';
import { expectBalanced, runOk } from '../helpers/run';

const key = (name: string) => `raw/2024/04/07/10/eventlake-raw-1-2024-04-07-10-00-00-${name}`;

describe('raw objects in a batch', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
  });
  afterEach(() => lake.cleanup());

  it('quarantines a truncated gzip object whole, counting it once, and rolls back its state writes', async () => {
    const account = accountEvent('u9', T0, { country: 'NL' });
    const full = gzipSync(`${JSON.stringify(account)}\n${JSON.stringify(otherEvent(T0 + 1))}\n`);
    await lake.objects.put(key('broken.gz'), full.subarray(0, full.length - 12));
    const lesson = lessonEvent('u9', 'nl', T0 + 60);
    await putRaw(lake, key('good.gz'), [lesson]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ objects_read: 2, lines_read: 2, inserted: 1, quarantined: 1, quarantined_by_reason: { unreadable_object: 1 } });
    expectBalanced(s);
    const [q] = await queryLake(lake, 'SELECT reason, line_no, source_key, raw_base64 IS NOT NULL AS has_bytes FROM quarantine');
    expect(q).toEqual({ reason: 'unreadable_object', line_no: null, source_key: key('broken.gz'), has_bytes: true });
    // The account event inside the unreadable object must not have reached the state store.
    const [row] = await queryLake(lake, `SELECT enrichment_status FROM events WHERE event_uuid = '${lesson.event_uuid}'`);
    expect(row?.enrichment_status).toBe('no_account');
  });

  it('rolls back an unreadable object whose readable start already filled parts that were put', async () => {
    const small = await makeTestLake({ config: { partMaxBytes: 512 } });
    try {
      const good = Array.from({ length: 40 }, (_, i) => otherEvent(T0 + i));
      await putRaw(small, key('a-good.gz'), good);
      // 1,500 lines (accounts, lessons, junk) readable before the gzip stream breaks: more than one batch of
      // lines (1,000), so parts of every stream were put before the break shows.
      const broken = Array.from({ length: 500 }, (_, i) => [
        JSON.stringify(accountEvent(`b${i}`, T0, { country: 'NL' })),
        JSON.stringify(lessonEvent(`b${i}`, 'nl', T0 + 60)),
        'not json',
      ]).flat();
      const full = gzipSync(`${broken.join('\n')}\n`);
      await small.objects.put(key('b-broken.gz'), full.subarray(0, full.length - 12));
      const lesson = lessonEvent('b7', 'nl', T0 + 120);
      await putRaw(small, key('c-good.gz'), [lesson]);

      const s = await runOk(small);

      expect(s).toMatchObject({ lines_read: 42, inserted: 41, quarantined: 1, quarantined_by_reason: { unreadable_object: 1 } });
      expectBalanced(s);
      const rows = await queryLake(small, 'SELECT count(*)::INT AS n, count(DISTINCT source_key)::INT AS objects FROM events');
      expect(rows).toEqual([{ n: 41, objects: 2 }]);
      // None of the broken object's accounts reached the state store.
      const [row] = await queryLake(small, `SELECT enrichment_status FROM events WHERE event_uuid = '${lesson.event_uuid}'`);
      expect(row?.enrichment_status).toBe('no_account');
    } finally {
      await small.cleanup();
    }
  });

  it('counts an empty object and a gzip of nothing as zero lines, without error', async () => {
    await lake.objects.put(key('empty.gz'), Buffer.alloc(0));
    await lake.objects.put(key('nothing.gz'), gzipSync(Buffer.alloc(0)));
    await putRaw(lake, key('one.gz'), [otherEvent(T0)]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ objects_read: 3, lines_read: 1, inserted: 1, quarantined: 0 });
  });

  it('accepts plain NDJSON, a BOM at the start of an object, CRLF line ends and blank lines', async () => {
    const a = otherEvent(T0);
    const b = otherEvent(T0 + 1);
    await lake.objects.put(key('plain'), Buffer.from(`\uFEFF${JSON.stringify(a)}\r\n\r\n${JSON.stringify(b)}\r\n`, 'utf8'));

    const s = await runOk(lake);

    expect(s).toMatchObject({ lines_read: 3, inserted: 2, blank_lines: 1, quarantined: 0 });
    const rows = await queryLake(lake, 'SELECT payload FROM events ORDER BY created_at');
    expect(rows.map((r) => r.payload)).toEqual([JSON.stringify(a), JSON.stringify(b)]);
  });

  it('keeps the neighbours of a bad line in the same object', async () => {
    const before = otherEvent(T0);
    const after = otherEvent(T0 + 2);
    await putRaw(lake, key('mixed.gz'), [before, '{"event_uuid": "truncated', after]);

    const s = await runOk(lake);

    expect(s).toMatchObject({ inserted: 2, quarantined: 1, quarantined_by_reason: { not_json: 1 } });
    const [q] = await queryLake(lake, 'SELECT line_no, raw_line FROM quarantine');
    expect(q).toEqual({ line_no: 2, raw_line: '{"event_uuid": "truncated' });
  });
});
