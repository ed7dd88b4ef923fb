import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FolderObjectStore } from '../../../src/adapters/local/folder-object-store';
import { escapeFileName, unescapeFileName } from '../../../src/ports/object-key';
import { ErrorNames } from '../../../src/errors';
import type { ObjectInfo } from '../../../src/ports/object-store';
import { objectStoreContract } from '../../ports/object-store.contract';

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
      const lstat = fs.lstat.bind(fs);
      jest.spyOn(fs, 'lstat').mockImplementation((async (target: string | Buffer) => {
        if (String(target) === path.join(root, 'l', 'b')) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
        return lstat(target);
      }) as typeof fs.lstat);

      expect(await collect(store.list('l/'))).toEqual(['l/a']);
    });
  });

  describe('entries that are not objects are listed, marked, never lost', () => {
    async function listed(prefix: string): Promise<ObjectInfo[]> {
      const all: ObjectInfo[] = [];
      for await (const item of store.list(prefix)) all.push(item);
      return all;
    }

    it('lists a file name that is not UTF-8 under its escaped key, in key order, and the key maps back to the bytes', async () => {
      await store.put('n/a', '1');
      await store.put('n/z', '2');
      const name = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\\x.gz')]);
      await fs.writeFile(Buffer.concat([Buffer.from(path.join(root, 'n') + path.sep), name]), 'abc');

      const entries = await listed('n/');

      expect(entries).toEqual([
        { key: 'n/a', sizeBytes: 1 },
        { key: 'n/caf\\xE9\\xFF\\\\x.gz', sizeBytes: 3, escapedName: true },
        { key: 'n/z', sizeBytes: 1 },
      ]);
      expect(unescapeFileName(entries[1]?.key.slice(2) ?? '')).toEqual(name);
    });

    it('lists a folder whose name is not UTF-8, and the files in it, under escaped keys', async () => {
      const folder = Buffer.concat([Buffer.from(path.join(root, 'n') + path.sep), Buffer.from([0xc0, 0xaf])]);
      await fs.mkdir(folder, { recursive: true });
      await fs.writeFile(Buffer.concat([folder, Buffer.from('/x.gz')]), 'abc');

      expect(await listed('n/')).toEqual([{ key: 'n/\\xC0\\xAF/x.gz', sizeBytes: 3, escapedName: true }]);
    });

    it('lists a FIFO as not a regular file, and getStream of it fails at once instead of blocking', async () => {
      await fs.mkdir(path.join(root, 'p'));
      execFileSync('mkfifo', [path.join(root, 'p', 'pipe')]);

      expect(await listed('p/')).toEqual([{ key: 'p/pipe', sizeBytes: 0, notRegularFile: 'a FIFO (named pipe)' }]);
      await expect(store.getStream('p/pipe')).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
    });

    it('lists a symbolic link to a file as an entry of its own, without following it', async () => {
      await store.put('real/x', 'abc');
      await fs.symlink(path.join(root, 'real', 'x'), path.join(root, 'real', 'y'));

      expect(await listed('real/')).toEqual([
        { key: 'real/x', sizeBytes: 3 },
        { key: 'real/y', sizeBytes: 0, notRegularFile: `a symbolic link to ${JSON.stringify(path.join(root, 'real', 'x'))} (a file)` },
      ]);
      await expect(store.getStream('real/y')).rejects.toMatchObject({ name: ErrorNames.ObjectNotFound });
    });

    it('lists a dangling symbolic link', async () => {
      await fs.mkdir(path.join(root, 'd'));
      await fs.symlink('missing.gz', path.join(root, 'd', 'link.gz'));

      expect(await listed('d/')).toEqual([
        { key: 'd/link.gz', sizeBytes: 0, notRegularFile: 'a symbolic link to "missing.gz" (its target does not exist)' },
      ]);
    });

    it('lists a symbolic link loop once, walking nothing twice', async () => {
      await store.put('raw/2024/a.gz', 'a');
      await fs.symlink('..', path.join(root, 'raw', '2024', 'up'));
      await fs.symlink('self', path.join(root, 'raw', '2024', 'self'));

      expect(await listed('raw/')).toEqual([
        { key: 'raw/2024/a.gz', sizeBytes: 1 },
        { key: 'raw/2024/self', sizeBytes: 0, notRegularFile: 'a symbolic link to "self" (a loop of links that never reaches a file)' },
        { key: 'raw/2024/up', sizeBytes: 0, notRegularFile: 'a symbolic link to ".." (a folder)' },
      ]);
      // A prefix through the link lists nothing: the link is one entry, not a folder.
      expect(await listed('raw/2024/up/')).toEqual([]);
    });

    it('follows a symbolic link to a folder at the top level of the store (an area on another disk)', async () => {
      const elsewhere = await makeTempDir();
      try {
        await fs.mkdir(path.join(elsewhere, '2024'));
        await fs.writeFile(path.join(elsewhere, '2024', 'a.gz'), 'abc');
        await fs.symlink(elsewhere, path.join(root, 'raw'));

        expect(await listed('raw/')).toEqual([{ key: 'raw/2024/a.gz', sizeBytes: 3 }]);
        expect(await listed('')).toEqual([{ key: 'raw/2024/a.gz', sizeBytes: 3 }]);
      } finally {
        await fs.rm(elsewhere, { recursive: true, force: true });
      }
    });

    it('leaves temporary files out of list and names them in listTemporary', async () => {
      await store.put('t/2024/x', 'one');
      await fs.writeFile(path.join(root, 't', '2024', '.eventlake-tmp-x.1.abc'), 'half');
      await fs.mkdir(path.join(root, 't', '.eventlake-tmp-dir'));

      expect(await collect(store.list('t/'))).toEqual(['t/2024/x']);
      const temporary: string[] = [];
      for await (const item of store.listTemporary('t/')) temporary.push(item.key);
      expect(temporary).toEqual(['t/.eventlake-tmp-dir', 't/2024/.eventlake-tmp-x.1.abc']);
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

    it('escapes file names losslessly: a literal "\\xE9" and the byte E9 get different keys, both mapping back', () => {
      const names = [
        Buffer.from('caf\\xE9.gz'),
        Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x67, 0x7a]),
        Buffer.from('plain \u00e9 \u{1F600}.gz'),
        Buffer.from([0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xe2, 0x82]),
      ];

      const keys = names.map((name) => escapeFileName(name));

      expect(keys).toEqual(['caf\\\\xE9.gz', 'caf\\xE9.gz', 'plain \u00e9 \u{1F600}.gz', '\\xED\\xA0\\x80\\xF4\\x90\\x80\\x80\\xE2\\x82']);
      expect(keys.map((key) => unescapeFileName(key))).toEqual(names);
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
