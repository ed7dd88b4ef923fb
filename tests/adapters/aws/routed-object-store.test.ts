import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RoutedObjectStore } from '../../../src/adapters/aws/routed-object-store';
import { S3ObjectStore } from '../../../src/adapters/aws/s3-object-store';
import { ErrorNames } from '../../../src/errors';
import type { ObjectInfo } from '../../../src/ports/object-store';
import { fakeS3, type FakeS3 } from './s3-fake';

async function keysOf(items: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of items) keys.push(item.key);
  return keys;
}

describe('RoutedObjectStore', () => {
  const buckets = ['raw-bkt', 'curated-bkt', 'quarantine-bkt', 'staging-bkt'] as const;
  let fakes: Record<(typeof buckets)[number], FakeS3>;
  let store: RoutedObjectStore;

  beforeEach(() => {
    const made = buckets.map((bucket) => {
      const client = new S3Client({ region: 'eu-west-1' });
      return { bucket, fake: fakeS3(client, bucket, 2), store: new S3ObjectStore({ client, bucket }) };
    });
    fakes = Object.fromEntries(made.map(({ bucket, fake }) => [bucket, fake])) as typeof fakes;
    const storeOf = (bucket: string): S3ObjectStore =>
      made.find((m) => m.bucket === bucket)?.store as S3ObjectStore;
    store = new RoutedObjectStore([
      { prefix: 'raw/', store: storeOf('raw-bkt') },
      { prefix: 'curated/', store: storeOf('curated-bkt') },
      { prefix: 'quarantine/', store: storeOf('quarantine-bkt') },
      { prefix: 'staging/', store: storeOf('staging-bkt') },
      { prefix: 'runs/', store: storeOf('staging-bkt') },
    ]);
  });

  afterEach(() => {
    for (const fake of Object.values(fakes)) fake.mock.restore();
  });

  it('puts each key in the bucket of its prefix, under the same key', async () => {
    // Act
    await store.put('raw/2024/04/07/17/a.gz', 'r');
    await store.put('curated/events/event_type=lesson/x.parquet', 'c');
    await store.put('quarantine/batch_id=b1/slice-00000.ndjson', 'q');
    await store.put('staging/batches/b1/manifest.json', 's');
    await store.put('runs/b1.json', 'u');

    // Assess
    expect([...fakes['raw-bkt'].objects.keys()]).toEqual(['raw/2024/04/07/17/a.gz']);
    expect([...fakes['curated-bkt'].objects.keys()]).toEqual(['curated/events/event_type=lesson/x.parquet']);
    expect([...fakes['quarantine-bkt'].objects.keys()]).toEqual([
      'quarantine/batch_id=b1/slice-00000.ndjson',
    ]);
    expect([...fakes['staging-bkt'].objects.keys()]).toEqual([
      'staging/batches/b1/manifest.json',
      'runs/b1.json',
    ]);
    expect((await store.get('runs/b1.json')).toString()).toBe('u');
  });

  it('rejects a key matching no route, naming it and the known prefixes, and calls no bucket', async () => {
    const failure = store.put('other/x', 'x');

    await expect(failure).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
    await expect(failure).rejects.toThrow(
      '"other/x" matches no bucket route; known prefixes: curated/, quarantine/, raw/, runs/, staging/',
    );
    for (const fake of Object.values(fakes)) expect(fake.mock.calls()).toHaveLength(0);
  });

  it('lists a prefix inside one route from that bucket only', async () => {
    // Prepare
    await store.put('raw/2024/04/07/17/a.gz', 'a');
    await store.put('raw/2024/04/07/18/b.gz', 'b');
    await store.put('raw/2024/04/08/00/c.gz', 'c');
    await store.put('curated/events/x', 'x');
    fakes['curated-bkt'].mock.resetHistory();

    // Act
    const keys = await keysOf(store.list('raw/2024/04/07/'));

    // Assess
    expect(keys).toEqual(['raw/2024/04/07/17/a.gz', 'raw/2024/04/07/18/b.gz']);
    expect(fakes['curated-bkt'].mock.calls()).toHaveLength(0);
  });

  it("lists '' as every route in ascending key order, one bucket after the other", async () => {
    await store.put('staging/s', 's');
    await store.put('runs/r', 'r');
    await store.put('raw/a', 'a');
    await store.put('curated/c', 'c');
    await store.put('quarantine/q', 'q');

    expect(await keysOf(store.list(''))).toEqual([
      'curated/c',
      'quarantine/q',
      'raw/a',
      'runs/r',
      'staging/s',
    ]);
    expect(await keysOf(store.list('r'))).toEqual(['raw/a', 'runs/r']);
  });

  it('rejects a list prefix that no route can hold', async () => {
    await expect(keysOf(store.list('other/'))).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
  });

  it('moves within a bucket with a server-side copy', async () => {
    await store.put('staging/a', 'payload');

    await store.move('staging/a', 'runs/a');

    expect(fakes['staging-bkt'].mock.commandCalls(CopyObjectCommand)).toHaveLength(1);
    expect([...fakes['staging-bkt'].objects.keys()]).toEqual(['runs/a']);
  });

  it('moves across buckets by copying the body, then deleting the source', async () => {
    await store.put('staging/a', 'payload');

    await store.move('staging/a', 'curated/events/a');

    expect(fakes['curated-bkt'].objects.get('curated/events/a')?.toString()).toBe('payload');
    expect(fakes['staging-bkt'].objects.size).toBe(0);
  });

  it("gives each key's URI in its bucket and refuses '' (no single root)", () => {
    expect(store.uri('curated/events/')).toBe('s3://curated-bkt/curated/events/');
    expect(store.uri('raw/2024/a.gz')).toBe('s3://raw-bkt/raw/2024/a.gz');
    expect(() => store.uri('')).toThrow(/no single root URI/);
  });

  it('refuses overlapping route prefixes and prefixes without a trailing "/"', () => {
    const any = new S3ObjectStore({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'any-bkt' });

    expect(
      () =>
        new RoutedObjectStore([
          { prefix: 'curated/', store: any },
          { prefix: 'curated/events/', store: any },
        ]),
    ).toThrow('route prefixes overlap: "curated/" and "curated/events/"');
    expect(() => new RoutedObjectStore([{ prefix: 'raw', store: any }])).toThrow(/must end with "\/"/);
    expect(() => new RoutedObjectStore([])).toThrow(/at least one route/);
  });
});
