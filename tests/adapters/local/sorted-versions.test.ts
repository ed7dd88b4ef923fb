import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installSorted, lookupSorted, writeMergedSorted } from '../../../src/adapters/local/sorted-versions';
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

    const found = lookupSorted(file, [...asked, 'account#absent', 'a', 'zzz', asked[0] as string]);

    expect(found.size).toBe(asked.length);
    for (const entity of asked) expect(found.get(entity)).toEqual(expected.get(entity));
  });

  it('finds the first and the last entity of the file, and each one alone', async () => {
    const expected = await build();
    const sorted = [...expected.keys()].sort();

    for (const entity of [sorted[0], sorted[1], sorted.at(-2), sorted.at(-1)] as string[]) {
      expect(lookupSorted(file, [entity]).get(entity)).toEqual(expected.get(entity));
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

    const lines = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { entity: string; eventUuid: string });
    expect(lines.map((line) => `${line.entity} ${line.eventUuid}`)).toEqual([
      'account#a a1',
      'account#b b1',
      'account#b b2',
      'account#c c1',
    ]);
    expect(lookupSorted(file, ['account#b']).get('account#b')).toEqual([version('b1', 'old'), version('b2', 'new')]);
  });

  it('finds nothing when there is no sorted file yet', () => {
    expect(lookupSorted(file, ['account#a']).size).toBe(0);
  });
});
