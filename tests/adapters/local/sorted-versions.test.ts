import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IndexBuilder } from '../../../src/adapters/local/sorted-index';
import { installSorted, SortedVersionsReader, sortedLines, writeMergedSorted } from '../../../src/adapters/local/sorted-versions';
import { toLogLine } from '../../../src/adapters/local/version-lines';
import type { StateVersion } from '../../../src/ports/state-store';

function version(eventUuid: string, note: string): StateVersion {
  return { eventUuid, createdAt: 1_700_000_000, fields: { note } };
}

describe('sorted versions', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventlake-sorted-'));
    file = path.join(dir, 'versions.sorted.ndjson');
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const lookupSorted = (filePath: string, entities: string[]) => new SortedVersionsReader(filePath).lookup(entities);

  async function dataLines(): Promise<string[]> {
    const lines: string[] = [];
    for await (const line of sortedLines(file)) lines.push(line);
    return lines;
  }

  async function merge(log: Map<string, StateVersion[]>, drop?: (entity: string) => boolean): Promise<void> {
    const { tempPath } = await writeMergedSorted(file, log, { fsync: false, ...(drop ? { drop } : {}) });
    await installSorted(tempPath, file, false);
  }

  /** 3000 entities in two merges, 1-3 versions each, some lines longer than two read blocks (64 KiB). */
  async function build(): Promise<Map<string, StateVersion[]>> {
    const expected = new Map<string, StateVersion[]>();
    for (const half of [0, 1]) {
      const log = new Map<string, StateVersion[]>();
      for (let i = half; i < 3000; i += 2) {
        const entity = `account#${(i * 7919) % 3000}`;
        const versions = Array.from({ length: 1 + (i % 3) }, (_, j) =>
          version(`e${i}-${j}`, i % 97 === 0 ? 'x'.repeat(150_000) : `n${i}`),
        );
        log.set(entity, versions);
        expected.set(entity, versions);
      }
      await merge(log);
    }
    return expected;
  }

  it('finds every entity asked for, with its lines in order, and nothing for the others', async () => {
    const expected = await build();
    const asked = [...expected.keys()].filter((_, i) => i % 3 === 0);

    const found = await lookupSorted(file, [...asked, 'account#absent', 'a', 'zzz', asked[0] as string]);

    expect(found.size).toBe(asked.length);
    for (const entity of asked) expect(found.get(entity)).toEqual(expected.get(entity));
  });

  it('finds the first and the last entity of the file, and each one alone', async () => {
    const expected = await build();
    const sorted = [...expected.keys()].sort();

    for (const entity of [sorted[0], sorted[1], sorted.at(-2), sorted.at(-1)] as string[]) {
      expect((await lookupSorted(file, [entity])).get(entity)).toEqual(expected.get(entity));
    }
  });

  it('writes entities sorted, merges an entity found in both by replaying, and drops what it is told to', async () => {
    await merge(new Map([['account#b', [version('b1', 'old')]], ['account#d', [version('d1', 'd')]]]));

    await merge(
      new Map([
        ['account#c', [version('c1', 'c')]],
        ['account#b', [version('b1', 'rewritten'), version('b2', 'new')]],
        ['account#a', [version('a1', 'a')]],
      ]),
      (entity) => entity === 'account#d',
    );

    // One line per entity, in entity order, its versions in replay order.
    const lines = (await dataLines()).map((line) => JSON.parse(line) as { entity: string; versions: [string][] });
    expect(lines.map((line) => `${line.entity} ${line.versions.map(([uuid]) => uuid).join(' ')}`)).toEqual([
      'account#a a1',
      'account#b b1 b2',
      'account#c c1',
    ]);
    expect((await lookupSorted(file, ['account#b'])).get('account#b')).toEqual([version('b1', 'old'), version('b2', 'new')]);
  });

  it('finds, merges and copies an entity whose name needs escapes', async () => {
    const odd = 'subscription#u1#e"s\\';
    await merge(new Map([[odd, [version('o1', 'first')]], ['account#z', [version('z1', 'z')]]]));
    await merge(new Map([['account#a', [version('a1', 'a')]]]));

    expect((await lookupSorted(file, [odd])).get(odd)).toEqual([version('o1', 'first')]);
    await merge(new Map([[odd, [version('o2', 'second')]]]));
    expect((await lookupSorted(file, [odd])).get(odd)).toEqual([version('o1', 'first'), version('o2', 'second')]);
  });

  it('finds an entity whose name needs escapes in a file written before the index, a line per version', async () => {
    const odd = 'subscription#u1#e"s\\';
    const versions = [version('o1', 'first'), version('o2', 'second')];
    await fs.writeFile(file, versions.map((v) => toLogLine({ entity: odd, version: v })).join(''));

    expect((await lookupSorted(file, [odd])).get(odd)).toEqual(versions);
  });

  it('finds nothing when there is no sorted file yet', async () => {
    expect((await lookupSorted(file, ['account#a'])).size).toBe(0);
  });

  it('reads a file written before files had an index, and gives the same answers', async () => {
    // What a file from before the index holds: a line per version, sorted by entity.
    const expected = await build();
    const entities = [...expected.keys()].sort();
    await fs.writeFile(file, entities.flatMap((entity) => (expected.get(entity) ?? []).map((v) => toLogLine({ entity, version: v }))).join(''));
    const asked = [...expected.keys()].filter((_, i) => i % 5 === 0);

    const found = await lookupSorted(file, [...asked, 'account#absent']);

    expect(found.size).toBe(asked.length);
    for (const entity of asked) expect(found.get(entity)).toEqual(expected.get(entity));
    // The next merge writes it with its index again.
    await merge(new Map([['account#new', [version('n1', 'n')]]]));
    expect((await fs.readFile(file)).subarray(-40, -32).toString('latin1')).toBe('\0ELSIDX2');
    expect((await lookupSorted(file, [asked[0] as string, 'account#new'])).size).toBe(2);
  });

  it('sees a new version of the file through the same reader', async () => {
    const reader = new SortedVersionsReader(file);
    await merge(new Map([['account#a', [version('a1', 'a')]]]));
    expect((await reader.lookup(['account#a', 'account#b'])).size).toBe(1);

    await merge(new Map([['account#b', [version('b1', 'b')]]]));

    expect([...(await reader.lookup(['account#a', 'account#b'])).keys()].sort()).toEqual(['account#a', 'account#b']);
  });

  it("never answers with another entity's lines when two entities share a hash", async () => {
    // An index row for account#x pointing at account#y's lines: what a hash collision looks like.
    const y = toLogLine({ entity: 'account#y', version: version('y1', 'y') });
    const index = new IndexBuilder();
    index.add('account#y', 0, Buffer.byteLength(y));
    index.add('account#x', 0, Buffer.byteLength(y));
    await fs.writeFile(file, Buffer.concat([Buffer.from(y), index.toBytes(Buffer.byteLength(y), [], Buffer.alloc(8, 1))]));

    const found = await lookupSorted(file, ['account#x', 'account#y']);

    expect([...found.keys()]).toEqual(['account#y']);
  });

  it('names the file and the fix when its index does not add up', async () => {
    await build();
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, Buffer.concat([bytes.subarray(0, 100), bytes.subarray(-40)]));

    await expect(lookupSorted(file, ['account#1'])).rejects.toThrow(/versions\.sorted\.ndjson is corrupt: its index trailer says .* Restore the state folder/);
  });
});
