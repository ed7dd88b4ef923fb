import type { Readable } from 'node:stream';
import { ErrorNames } from '../../src/errors';
import type { ObjectInfo, ObjectStore } from '../../src/ports/object-store';

/** A fresh, empty store for one test, and how to throw it away. */
export interface ObjectStoreFixture {
  readonly store: ObjectStore;
  cleanup(): Promise<void>;
}

/**
 * The ObjectStore contract (src/ports/object-store.ts), run by every adapter: the folder store locally,
 * the S3 store on AWS. Each test gets its own empty store from `makeStore`.
 */
export function objectStoreContract(name: string, makeStore: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fixture: ObjectStoreFixture;
    let store: ObjectStore;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    async function putAll(keys: readonly string[]): Promise<void> {
      for (const key of keys) await store.put(key, `body of ${key}`);
    }

    async function listedKeys(prefix: string): Promise<string[]> {
      return (await collect(store.list(prefix))).map((info) => info.key);
    }

    describe('list', () => {
      it('yields nothing from an empty store', async () => {
        expect(await collect(store.list(''))).toEqual([]);
      });

      it('yields nothing for a prefix nothing starts with', async () => {
        await putAll(['raw/2024/04/07/17/a.gz']);

        expect(await listedKeys('curated/')).toEqual([]);
        expect(await listedKeys('raw/2025')).toEqual([]);
      });

      it('yields every object under a prefix, recursively, with relative keys', async () => {
        await putAll([
          'raw/2024/04/07/17/a.gz',
          'raw/2024/04/07/18/b.gz',
          'raw/2024/05/01/00/c.gz',
          'other/d',
        ]);

        expect(await listedKeys('raw/')).toEqual([
          'raw/2024/04/07/17/a.gz',
          'raw/2024/04/07/18/b.gz',
          'raw/2024/05/01/00/c.gz',
        ]);
      });

      it('lists the whole store for the empty prefix', async () => {
        await putAll(['b/x', 'a', 'c/d/e']);

        expect(await listedKeys('')).toEqual(['a', 'b/x', 'c/d/e']);
      });

      it('matches a prefix that ends in the middle of a name', async () => {
        await putAll([
          'raw/2024/04/07/17/a.gz',
          'raw/2024/04/09/01/b.gz',
          'raw/2024/04/10/00/c.gz',
          'raw/2024/05/01/00/d.gz',
          'raw/2024/04/0x',
        ]);

        expect(await listedKeys('raw/2024/04/0')).toEqual([
          'raw/2024/04/07/17/a.gz',
          'raw/2024/04/09/01/b.gz',
          'raw/2024/04/0x',
        ]);
      });

      it('treats a trailing "/" as part of the prefix', async () => {
        await putAll(['raw/a', 'rawer/b', 'raw.txt']);

        expect(await listedKeys('raw/')).toEqual(['raw/a']);
        expect(await listedKeys('raw')).toEqual(['raw.txt', 'raw/a', 'rawer/b']);
      });

      it('lists a single object when the prefix is its whole key', async () => {
        await putAll(['raw/2024/a.gz', 'raw/2024/a.gz.bak']);

        expect(await listedKeys('raw/2024/a.gz')).toEqual(['raw/2024/a.gz', 'raw/2024/a.gz.bak']);
      });

      it('yields keys in ascending order whatever the order they were put in', async () => {
        const keys = ['k/09', 'k/10', 'k/1', 'k/001', 'k/1-', 'k/A', 'k/a', 'k/_', 'k/0/9'];
        await putAll([...keys].reverse());

        expect(await listedKeys('k/')).toEqual([
          'k/0/9',
          'k/001',
          'k/09',
          'k/1',
          'k/1-',
          'k/10',
          'k/A',
          'k/_',
          'k/a',
        ]);
      });

      it('orders "a/…" keys between their siblings by the "/" byte, as S3 does', async () => {
        await putAll(['s/a0', 's/a/c/d', 's/a.txt', 's/a/b', 's/a-b']);

        // '-' (0x2d) < '.' (0x2e) < '/' (0x2f) < '0' (0x30)
        expect(await listedKeys('s/')).toEqual(['s/a-b', 's/a.txt', 's/a/b', 's/a/c/d', 's/a0']);
      });

      it('orders non-ASCII keys by their UTF-8 bytes', async () => {
        // U+FF5E is EF BD 9E in UTF-8 and U+1F600 is F0 9F 98 80: UTF-16 code-unit order would swap them.
        await putAll(['u/\u{1F600}', 'u/\uFF5E', 'u/\u00e9', 'u/z']);

        expect(await listedKeys('u/')).toEqual(['u/z', 'u/\u00e9', 'u/\uFF5E', 'u/\u{1F600}']);
      });

      it('reports each object size in bytes', async () => {
        await store.put('s/ascii', 'abc');
        await store.put('s/utf8', '\u00e9t\u00e9');
        await store.put('s/empty', '');
        await store.put('s/buffer', Buffer.alloc(1000, 7));

        const sizes = Object.fromEntries((await collect(store.list('s/'))).map((o) => [o.key, o.sizeBytes]));

        expect(sizes).toEqual({ 's/ascii': 3, 's/buffer': 1000, 's/empty': 0, 's/utf8': 5 });
      });

      it('never yields a key with a leading "/"', async () => {
        await putAll(['a', 'b/c']);

        for (const key of await listedKeys('')) expect(key.startsWith('/')).toBe(false);
      });
    });

    describe('put and get', () => {
      it('returns the bytes that were put, from a Buffer body', async () => {
        const body = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
        await store.put('bin/x', body);

        expect(await store.get('bin/x')).toEqual(body);
      });

      it('stores a string body as UTF-8', async () => {
        await store.put('text/x', 'caf\u00e9 \u{1F600}\n');

        expect((await store.get('text/x')).toString('utf8')).toBe('caf\u00e9 \u{1F600}\n');
      });

      it('stores an empty object', async () => {
        await store.put('empty', '');

        expect((await store.get('empty')).length).toBe(0);
        expect(await store.exists('empty')).toBe(true);
      });

      it('creates the intermediate levels of a deep key', async () => {
        await store.put('a/b/c/d/e/f.txt', 'deep');

        expect((await store.get('a/b/c/d/e/f.txt')).toString()).toBe('deep');
      });

      it('replaces an existing object whole, with no tail of the longer old body', async () => {
        await store.put('r/x', 'a much longer first body');
        await store.put('r/x', 'short');

        expect((await store.get('r/x')).toString()).toBe('short');
        expect(await collect(store.list('r/'))).toEqual([{ key: 'r/x', sizeBytes: 5 }]);
      });

      it('never lets a reader see a partial object while it is being replaced', async () => {
        const size = 1024 * 1024;
        const bodies = [Buffer.alloc(size, 'a'), Buffer.alloc(size, 'b')];
        await store.put('atomic/x', bodies[0] ?? '');

        const writes = (async () => {
          for (let i = 1; i <= 20; i += 1) await store.put('atomic/x', bodies[i % 2] ?? '');
        })();
        const seen: string[] = [];
        const reads = (async () => {
          for (let i = 0; i < 40; i += 1) seen.push(wholeBodyOf(await store.get('atomic/x'), size));
        })();
        await Promise.all([writes, reads]);

        expect(seen.filter((verdict) => verdict !== 'a' && verdict !== 'b')).toEqual([]);
      });

      it('lists only whole objects, never a write in progress', async () => {
        const keys = Array.from({ length: 30 }, (_, i) => `busy/${String(i).padStart(2, '0')}`);
        const listings: string[][] = [];

        const writes = Promise.all(keys.map((key) => store.put(key, Buffer.alloc(64 * 1024, 1))));
        const lists = (async () => {
          for (let i = 0; i < 10; i += 1) listings.push(await listedKeys('busy/'));
        })();
        await Promise.all([writes, lists]);
        listings.push(await listedKeys('busy/'));

        for (const listing of listings) expect(listing.filter((key) => !keys.includes(key))).toEqual([]);
        expect(listings.at(-1)).toEqual(keys);
      });

      it('keeps one whole body when the same key is put concurrently', async () => {
        const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, 65 + i));

        await Promise.all(bodies.map((body) => store.put('race/x', body)));

        const final = await store.get('race/x');
        expect(bodies.some((body) => body.equals(final))).toBe(true);
      });

      it('rejects get of a missing key with ObjectNotFoundError', async () => {
        await expect(store.get('missing/x')).rejects.toMatchObject({
          name: ErrorNames.ObjectNotFound,
          key: 'missing/x',
        });
      });

      it('rejects get of a key that is only a prefix of other keys', async () => {
        await store.put('dir/x', '1');

        await expect(store.get('dir')).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
      });
    });

    describe('getStream', () => {
      it('streams the whole object', async () => {
        const body = Buffer.alloc(300 * 1024, 'z');
        await store.put('stream/x', body);

        const stream = await store.getStream('stream/x');

        expect(await readAll(stream)).toEqual(body);
      });

      it('rejects before returning a stream when the key is missing', async () => {
        await expect(store.getStream('missing/x')).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
      });
    });

    describe('exists', () => {
      it('is true for an object and false for a missing key', async () => {
        await store.put('e/x', '1');

        expect(await store.exists('e/x')).toBe(true);
        expect(await store.exists('e/y')).toBe(false);
      });

      it('is false for a prefix that only holds other objects', async () => {
        await store.put('e/sub/x', '1');

        expect(await store.exists('e/sub')).toBe(false);
      });
    });

    describe('delete', () => {
      it('removes the object', async () => {
        await putAll(['d/x', 'd/y']);

        await store.delete('d/x');

        expect(await store.exists('d/x')).toBe(false);
        await expect(store.get('d/x')).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
        expect(await listedKeys('d/')).toEqual(['d/y']);
      });

      it('is a no-op for a missing key', async () => {
        await expect(store.delete('d/never')).resolves.toBeUndefined();
      });

      it('is idempotent', async () => {
        await store.put('d/x', '1');

        await store.delete('d/x');
        await store.delete('d/x');

        expect(await store.exists('d/x')).toBe(false);
      });
    });

    describe('move', () => {
      it('moves the body to the new key and removes the old one', async () => {
        await store.put('staging/x', 'payload');

        await store.move('staging/x', 'final/2024/x');

        expect((await store.get('final/2024/x')).toString()).toBe('payload');
        expect(await store.exists('staging/x')).toBe(false);
        expect(await listedKeys('')).toEqual(['final/2024/x']);
      });

      it('replaces an existing destination', async () => {
        await store.put('m/src', 'new');
        await store.put('m/dst', 'old and longer');

        await store.move('m/src', 'm/dst');

        expect((await store.get('m/dst')).toString()).toBe('new');
        expect(await listedKeys('m/')).toEqual(['m/dst']);
      });

      it('rejects a missing source with ObjectNotFoundError and changes nothing', async () => {
        await store.put('m/dst', 'kept');

        await expect(store.move('m/missing', 'm/dst')).rejects.toMatchObject({
          name: ErrorNames.ObjectNotFound,
        });
        expect((await store.get('m/dst')).toString()).toBe('kept');
      });

      it('is a no-op when source and destination are the same key', async () => {
        await store.put('m/x', 'same');

        await store.move('m/x', 'm/x');

        expect((await store.get('m/x')).toString()).toBe('same');
      });
    });

    describe('keys', () => {
      it.each([
        ['an empty key', ''],
        ['an absolute key', '/raw/x'],
        ['a ".." segment', 'raw/../x'],
        ['a "." segment', 'raw/./x'],
        ['an empty segment', 'raw//x'],
        ['a trailing "/"', 'raw/x/'],
      ])('rejects %s with InvalidInputError', async (_what, key) => {
        await expect(store.put(key, 'x')).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
        await expect(store.get(key)).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
      });

      it('rejects a list prefix that climbs out of the store', async () => {
        await expect(collect(store.list('../'))).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
        await expect(collect(store.list('/etc/'))).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
      });

      it('accepts spaces, "=", "%" and non-ASCII characters', async () => {
        const key = 'curated/event_type=lesson/event_date=2024-04-07/na\u00efve 100%.parquet';
        await store.put(key, 'x');

        expect(await listedKeys('curated/')).toEqual([key]);
      });
    });

    describe('uri', () => {
      it('names the object for a SQL engine: a distinct address ending with the key', async () => {
        await store.put('curated/a.parquet', 'x');

        const uri = store.uri('curated/a.parquet');

        expect(uri.endsWith('curated/a.parquet')).toBe(true);
        expect(uri).not.toBe(store.uri('curated/b.parquet'));
        expect(uri.startsWith('/') || uri.startsWith('s3://')).toBe(true);
      });

      it("names a folder for a key ending in '/', and the store root for ''", () => {
        const root = store.uri('');
        const folder = store.uri('curated/events/');

        expect(root.endsWith('/')).toBe(true);
        expect(folder).toBe(`${root}curated/events/`);
        expect(store.uri('curated/events/a.parquet')).toBe(`${folder}a.parquet`);
      });
    });
  });
}

async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const all: ObjectInfo[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** 'a' or 'b' when `body` is `size` bytes of that letter, else a description of what was seen. */
function wholeBodyOf(body: Buffer, size: number): string {
  const first = body[0];
  if (body.length !== size || first === undefined) return `partial: ${body.length} bytes`;
  if (!body.every((byte) => byte === first)) return 'mixed bytes';
  return String.fromCharCode(first);
}
