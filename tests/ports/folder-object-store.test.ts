import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FolderObjectStore } from '../../src/adapters/local/folder-object-store';
import { ErrorNames } from '../../src/errors';
import type { ObjectInfo } from '../../src/ports/object-store';
import { objectStoreContract } from './object-store.contract';

async function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'eventlake-objects-'));
}

objectStoreContract('FolderObjectStore', async () => {
  const dir = await makeTempDir();
  return {
    store: new FolderObjectStore(dir),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

async function collect(items: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of items) keys.push(item.key);
  return keys;
}

describe('FolderObjectStore', () => {
  let root: string;
  let store: FolderObjectStore;

  beforeEach(async () => {
    root = await makeTempDir();
    store = new FolderObjectStore(root);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(root, { recursive: true, force: true });
  });

  describe('layout', () => {
    it('stores each object as the file at its key under the root', async () => {
      await store.put('raw/2024/04/07/17/part-0.gz', 'x');

      expect(await fs.readFile(path.join(root, 'raw', '2024', '04', '07', '17', 'part-0.gz'), 'utf8')).toBe(
        'x',
      );
    });

    it('lists files written into the folder by other tools', async () => {
      await fs.mkdir(path.join(root, 'raw', '2024'), { recursive: true });
      await fs.writeFile(path.join(root, 'raw', '2024', 'dropped.gz'), 'abc');

      expect(await collect(store.list('raw/'))).toEqual(['raw/2024/dropped.gz']);
    });

    it('resolves a relative root to an absolute one', () => {
      expect(path.isAbsolute(new FolderObjectStore('lake').rootDir)).toBe(true);
    });
  });

  describe('uri', () => {
    it('is the absolute path of the file', () => {
      expect(store.uri('curated/events/x.parquet')).toBe(path.join(root, 'curated', 'events', 'x.parquet'));
    });

    it('keeps a trailing "/" for a folder and passes glob characters through', () => {
      expect(store.uri('curated/events/')).toBe(path.join(root, 'curated', 'events') + path.sep);
      expect(store.uri('curated/events/**/*.parquet')).toBe(
        path.join(root, 'curated', 'events', '**', '*.parquet'),
      );
    });

    it("is the root folder, with a trailing separator, for ''", () => {
      expect(store.uri('')).toBe(root + path.sep);
    });

    it('rejects a key that climbs out of the root', () => {
      expect(() => store.uri('../etc/passwd')).toThrow(/must not contain "\." or "\.\." segments/);
    });
  });

  describe('temporary files', () => {
    it('leaves no temporary file behind after a put', async () => {
      await store.put('t/x', 'one');
      await store.put('t/x', 'two');

      expect(await fs.readdir(path.join(root, 't'))).toEqual(['x']);
    });

    it('never lists a temporary file left by a crashed put', async () => {
      await store.put('t/x', 'one');
      await fs.writeFile(path.join(root, 't', '.eventlake-tmp-x.123.abc'), 'half a bo');

      expect(await collect(store.list('t/'))).toEqual(['t/x']);
      expect(await collect(store.list('t/.eventlake-tmp-'))).toEqual([]);
    });

    it('rejects a key that uses the temporary prefix', async () => {
      await expect(store.put('t/.eventlake-tmp-x', 'x')).rejects.toMatchObject({
        name: ErrorNames.InvalidInput,
        message: expect.stringContaining('reserved prefix') as unknown,
      });
    });

    it('removes its temporary file when a put fails', async () => {
      await store.put('t/file', 'x');

      // 't/file' is a file, so 't/file/child' cannot be created.
      await expect(store.put('t/file/child', 'y')).rejects.toThrow();

      expect(await fs.readdir(path.join(root, 't'))).toEqual(['file']);
    });
  });

  describe('list', () => {
    it('reads only the folders that can hold a match', async () => {
      await store.put('raw/2024/04/07/17/a.gz', 'a');
      await store.put('raw/2024/04/10/00/b.gz', 'b');
      await store.put('raw/2024/05/01/00/c.gz', 'c');
      const readdir = jest.spyOn(fs, 'readdir');

      expect(await collect(store.list('raw/2024/04/0'))).toEqual(['raw/2024/04/07/17/a.gz']);

      const read = readdir.mock.calls.map(([dir]) => path.relative(root, String(dir)));
      expect(read).toEqual([
        path.join('raw', '2024', '04'),
        path.join('raw', '2024', '04', '07'),
        path.join('raw', '2024', '04', '07', '17'),
      ]);
    });

    it('yields nothing when a folder part of the prefix is a file', async () => {
      await store.put('raw/x', 'file');

      expect(await collect(store.list('raw/x/'))).toEqual([]);
    });

    it('skips an object deleted between reading its folder and reading its size', async () => {
      await store.put('l/a', '1');
      await store.put('l/b', '2');
      const stat = fs.stat.bind(fs);
      jest.spyOn(fs, 'stat').mockImplementation((async (target: string) => {
        if (target === path.join(root, 'l', 'b')) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
        return stat(target);
      }) as typeof fs.stat);

      expect(await collect(store.list('l/'))).toEqual(['l/a']);
    });

    it('follows a symbolic link to a file', async () => {
      await store.put('real/x', 'abc');
      await fs.symlink(path.join(root, 'real', 'x'), path.join(root, 'real', 'y'));

      expect(await collect(store.list('real/'))).toEqual(['real/x', 'real/y']);
    });
  });

  describe('folders are not objects', () => {
    beforeEach(async () => {
      await store.put('dir/inner/x', 'x');
    });

    it('getStream of a folder is ObjectNotFoundError', async () => {
      await expect(store.getStream('dir/inner')).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
    });

    it('delete of a folder is a no-op that keeps its objects', async () => {
      await store.delete('dir/inner');

      expect(await store.exists('dir/inner/x')).toBe(true);
    });

    it('move of a folder is ObjectNotFoundError', async () => {
      await expect(store.move('dir/inner', 'elsewhere')).rejects.toMatchObject({
        name: ErrorNames.ObjectNotFound,
      });
      expect(await store.exists('dir/inner/x')).toBe(true);
    });
  });

  describe('keys', () => {
    it.each([
      ['a backslash', 'raw\\x', '"/" as the separator'],
      ['a NUL character', 'raw/x\u0000', 'NUL'],
      ['a ".." segment', 'raw/../../x', '".."'],
    ])('names the rule a key with %s breaks', async (_what, key, rule) => {
      await expect(store.put(key, 'x')).rejects.toThrow(rule);
    });

    it('writes nothing for a rejected key', async () => {
      await expect(store.put('../outside', 'x')).rejects.toMatchObject({ name: ErrorNames.InvalidInput });

      expect(await fs.readdir(path.dirname(root))).not.toContain('outside');
    });
  });

  describe('without fsync', () => {
    it('still writes, replaces and moves', async () => {
      const fast = new FolderObjectStore(root, { fsync: false });

      await fast.put('f/x', 'one');
      await fast.put('f/x', 'two');
      await fast.move('f/x', 'f/y');

      expect((await fast.get('f/y')).toString()).toBe('two');
    });
  });
});
