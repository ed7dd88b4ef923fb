import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_BUNDLE_DIR, sliceWorkerEntry, TSX_WORKER_ENTRY } from '../../src/runtime/slice-worker-bundle';
import { SlicePool } from '../../src/runtime/worker-pool';
import { makeTestLake } from '../helpers/lake';

// The pool's fork, recorded (and still done).
jest.mock('node:child_process', () => {
  const actual = jest.requireActual<typeof import('node:child_process')>('node:child_process');
  return { ...actual, fork: jest.fn(actual.fork) };
});

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the real esbuild, wrapped to count builds
const esbuild = require('esbuild') as { buildSync: (options: Record<string, unknown>) => never };

/** A small project: src/app/main.ts prints what its modules give. */
function makeProject(): { root: string; write(file: string, text: string): void; run(file: string): string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'eventlake-bundle-'));
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  write('src/app/dep.ts', 'export const value: number = 1;\n');
  write('src/app/paths.ts', "import { join } from 'node:path';\nexport const root = join(__dirname, '..', '..');\n");
  write('src/app/main.ts', "import { value } from './dep';\nimport { root } from './paths';\nconsole.log(JSON.stringify({ value, root }));\n");
  return {
    root,
    write,
    run: (file) => execFileSync(process.execPath, [file], { encoding: 'utf8' }).trim(),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

describe('sliceWorkerEntry', () => {
  let project: ReturnType<typeof makeProject>;
  let builds: number;
  const countingEsbuild = () => ({
    buildSync: (options: Record<string, unknown>) => {
      builds++;
      return esbuild.buildSync(options);
    },
  });
  const entryOf = (extra: object = {}) =>
    sliceWorkerEntry({ root: project.root, main: 'src/app/main.ts', dir: join(project.root, 'node_modules', '.cache'), loadEsbuild: countingEsbuild, ...extra });

  beforeEach(() => {
    project = makeProject();
    builds = 0;
  });
  afterEach(() => project.cleanup());

  it('builds the bundle once, and its code finds the project root from __dirname as the sources do', () => {
    const first = entryOf();
    const second = entryOf();

    expect(first.bundled).toBe(true);
    expect(dirname(first.file)).toBe(join(project.root, 'node_modules', '.cache'));
    expect(second).toEqual(first);
    expect(builds).toBe(1);
    expect(JSON.parse(project.run(first.file))).toEqual({ value: 1, root: project.root });
  });

  it('builds again when a file the bundle holds changed, and never serves the stale one', () => {
    const before = entryOf();
    project.write('src/app/dep.ts', 'export const value: number = 2;\n');

    const after = entryOf();

    expect(builds).toBe(2);
    expect(after.file).not.toBe(before.file);
    expect(JSON.parse(project.run(after.file))).toMatchObject({ value: 2 });
  });

  it('falls back to tsx, naming the file, when a bundled file reads __dirname from another depth', () => {
    project.write('src/app/deep/where.ts', 'export const here = __dirname;\n');
    project.write('src/app/main.ts', "import { here } from './deep/where';\nconsole.log(here);\n");

    const entry = entryOf();

    expect([entry.file, entry.bundled]).toEqual([TSX_WORKER_ENTRY, false]);
    expect(entry.fallback).toContain('src/app/deep/where.ts uses __dirname but is not 2 folders below the project');
  });

  it('falls back to tsx when esbuild is not installed', () => {
    expect(entryOf({ loadEsbuild: () => undefined })).toEqual({ file: TSX_WORKER_ENTRY, bundled: false, fallback: 'esbuild is not installed' });
  });

  it('falls back to tsx when the build fails', () => {
    project.write('src/app/dep.ts', 'export const value: number = ;\n');

    const entry = entryOf();

    expect([entry.file, entry.bundled]).toEqual([TSX_WORKER_ENTRY, false]);
    expect(entry.fallback).toContain('the worker bundle could not be built');
  });
});

describe('the slice pool', () => {
  it('starts its workers from the bundle of this checkout', async () => {
    const lake = await makeTestLake();
    const pool = new SlicePool(1, lake.root, lake.config, () => undefined);
    try {
      pool.warm();

      const entry = sliceWorkerEntry();
      expect([dirname(entry.file), entry.bundled]).toEqual([DEFAULT_BUNDLE_DIR, true]);
      expect(jest.mocked(fork).mock.calls.map(([file]) => file)).toEqual([entry.file]);
      expect(readFileSync(entry.file, 'utf8')).toContain('validate-slice');
    } finally {
      await pool.close();
      await lake.cleanup();
    }
  });
});
