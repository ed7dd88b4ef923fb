import { generate, type GenerateOptions } from '../../src/generator/generate';
import { MemoryObjectStore, objectBody, readLines } from './memory-object-store';

const KEY =
  /^raw\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/eventlake-raw-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.gz$/;

/** Unix seconds of the first arrival encoded in a Firehose key. */
function keySeconds(key: string): number {
  const m = /-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-/.exec(key)!;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
}

/** created_at of every non-blank line that parses as an event, grouped by object key. */
function createdAtByKey(store: MemoryObjectStore): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const line of readLines(store)) {
    if (line.bytes.length === 0) continue;
    const event = JSON.parse(line.bytes.toString('utf8')) as { created_at: number };
    const list = byKey.get(line.key) ?? [];
    list.push(event.created_at);
    byKey.set(line.key, list);
  }
  return byKey;
}

const CLEAN: GenerateOptions = {
  events: 20_000,
  start: new Date('2024-04-07T22:00:00Z'),
  hours: 1,
  seed: 7,
  duplicateRate: 0,
  malformedRate: 0,
  blankRate: 0,
};

describe('generate: Firehose object layout', () => {
  it('names every object raw/YYYY/MM/DD/HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>.gz with the prefix hour of its key time', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    const summary = await generate(store, CLEAN);

    // Assess
    const keys = store.sortedKeys();
    expect(keys.length).toBe(summary.objects);
    for (const key of keys) {
      const m = KEY.exec(key);
      expect(m).not.toBeNull();
      expect(m!.slice(1, 5)).toEqual(m!.slice(5, 9));
    }
    expect([summary.firstKey, summary.lastKey]).toEqual([keys[0], keys[keys.length - 1]]);
  });

  it('uses the stream name given', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    await generate(store, { ...CLEAN, events: 500, streamName: 'prod-events.v2' });

    // Assess
    expect(
      store.sortedKeys().every((key) => /^raw\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/prod-events\.v2-1-/.test(key)),
    ).toBe(true);
  });

  it('writes objects in key order, so key order is arrival order, even with several objects in one second', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const dense = { ...CLEAN, events: 5000, hours: 0.05, objectMaxBytes: 1024 };

    // Act
    await generate(store, dense);

    // Assess
    expect(store.putOrder).toEqual(store.sortedKeys());
    const seconds = new Set(store.putOrder.map(keySeconds));
    expect(seconds.size).toBeLessThan(store.putOrder.length / 2);
  });

  it('files objects by arrival time: events of the last minutes of an hour arrive under the next hour prefix', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    const summary = await generate(store, CLEAN);

    // Assess
    const hour23 = Date.UTC(2024, 3, 7, 23) / 1000;
    const late = [...createdAtByKey(store)]
      .filter(([key]) => key.startsWith('raw/2024/04/07/23/'))
      .flatMap(([, times]) => times);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((t) => t < hour23)).toBe(true);
    expect(late.length).toBe(summary.expected.lateHourArrivals);
  });

  it('puts in each object only events created at most a few minutes before, and never after, its arrival window', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const objectMaxSeconds = 60;

    // Act
    await generate(store, { ...CLEAN, objectMaxSeconds });

    // Assess
    for (const [key, times] of createdAtByKey(store)) {
      const first = keySeconds(key);
      expect(Math.max(...times)).toBeLessThan(first + 1 + objectMaxSeconds);
      expect(Math.min(...times)).toBeGreaterThan(first - 6 * 60 - 1);
    }
  });

  it('rolls objects over at objectMaxBytes of uncompressed data', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const objectMaxBytes = 64 * 1024;

    // Act
    const summary = await generate(store, { ...CLEAN, objectMaxBytes });

    // Assess
    const sizes = [...store.objects.values()].map((body) => objectBody(body).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(objectMaxBytes);
    expect(summary.objects).toBeGreaterThan(summary.uncompressedBytes / objectMaxBytes);
  });

  it('rolls objects over at objectMaxSeconds of arrival time and at each hour boundary', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    await generate(store, { ...CLEAN, objectMaxSeconds: 300 });

    // Assess
    const stamps = store.sortedKeys().map(keySeconds);
    const hour23 = Date.UTC(2024, 3, 7, 23) / 1000;
    const pairs = stamps.slice(1).map((next, i) => [stamps[i]!, next] as const);
    const sameHour = pairs.filter(([a, b]) => Math.floor(a / 3600) === Math.floor(b / 3600));
    expect(Math.min(...sameHour.map(([a, b]) => b - a))).toBeGreaterThanOrEqual(299);
    // While traffic is steady (hour 22) an object closes as soon as it is 300 s old.
    expect(Math.max(...sameHour.filter(([, b]) => b < hour23).map(([a, b]) => b - a))).toBeLessThan(305);
    const lastBefore = Math.max(...stamps.filter((s) => s < hour23));
    const firstAfter = Math.min(...stamps.filter((s) => s >= hour23));
    expect(hour23 - lastBefore).toBeLessThan(300);
    expect(firstAfter - hour23).toBeLessThan(5);
  });

  it('gzips objects by default', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    await generate(store, { ...CLEAN, events: 1000 });

    // Assess
    for (const [key, body] of store.objects) {
      expect(key.endsWith('.gz')).toBe(true);
      expect([body[0], body[1]]).toEqual([0x1f, 0x8b]);
    }
  });

  it('writes plain NDJSON, without .gz, when gzip is false', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    await generate(store, { ...CLEAN, events: 1000, gzip: false });

    // Assess
    for (const [key, body] of store.objects) {
      expect(key).toMatch(/-[0-9a-f-]{36}$/);
      expect(body.toString('utf8', 0, 15)).toBe('{"event_uuid":"');
      expect(body[body.length - 1]).toBe(0x0a);
    }
  });

  it('spreads a window crossing midnight UTC over two event dates and two day prefixes', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    const summary = await generate(store, { ...CLEAN, hours: 4 });

    // Assess
    expect(Object.keys(summary.expected.eventDates)).toEqual(['2024-04-07', '2024-04-08']);
    expect(Object.values(summary.expected.eventDates).reduce((a, b) => a + b, 0)).toBe(CLEAN.events);
    const dayPrefixes = new Set(store.sortedKeys().map((key) => key.slice(0, 'raw/2024/04/07'.length)));
    expect([...dayPrefixes]).toEqual(['raw/2024/04/07', 'raw/2024/04/08']);
    const hourPrefixes = new Set(store.sortedKeys().map((key) => key.slice(0, 'raw/2024/04/07/22'.length)));
    expect(hourPrefixes.size).toBe(5);
  });
});
