import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The rooms of the repository and the one-way arrows between them (docs/architecture.md): a file may import
 * its own room and the rooms listed for it, never a room above. Every import of every .ts file outside tests/
 * is checked; a regex over `from '...'`, `import '...'` and `require('...')` is enough for this code base.
 */
const ROOT = resolve(__dirname, '..', '..');

type Room =
  | 'kernel'
  | 'parquet'
  | 'contract'
  | 'ports'
  | 'sql'
  | 'raw'
  | 'generator'
  | 'workflow'
  | 'adapters'
  | 'pipeline'
  | 'tasks'
  | 'runtime'
  | 'cdk'
  | 'entry';

/** First match wins. `tasks/<name>/lambda.ts` files are Lambda entry points (composition roots), not tasks. */
const ROOMS: readonly [RegExp, Room][] = [
  [/^tasks\/(?!_)[^/]+\/lambda\.ts$/, 'entry'],
  [/^(src\/cli|bench|verify|bin)\//, 'entry'],
  [/^cdk\//, 'cdk'],
  [/^src\/runtime\//, 'runtime'],
  [/^tasks\//, 'tasks'],
  [/^src\/pipeline\//, 'pipeline'],
  [/^src\/adapters\//, 'adapters'],
  [/^src\/workflow\//, 'workflow'],
  [/^src\/generator\//, 'generator'],
  [/^src\/raw\//, 'raw'],
  [/^src\/sql\//, 'sql'],
  [/^src\/ports\//, 'ports'],
  [/^src\/contract\//, 'contract'],
  [/^src\/(errors\.ts|time\/)/, 'kernel'],
  [/^src\/parquet\//, 'parquet'],
  [/^(tests|state-machines|sql)\//, 'entry'],
];

const BASE: readonly Room[] = ['kernel', 'contract', 'ports', 'sql'];

/** What each room may import besides itself. */
const MAY_IMPORT: Readonly<Record<Room, readonly Room[]>> = {
  kernel: [],
  parquet: [],
  contract: ['kernel'],
  ports: ['kernel', 'contract'],
  sql: ['kernel', 'contract', 'ports'],
  raw: ['kernel', 'contract', 'ports'],
  generator: ['kernel', 'contract', 'ports', 'raw'],
  workflow: BASE,
  adapters: [...BASE, 'workflow'],
  pipeline: [...BASE, 'raw', 'parquet'],
  tasks: [...BASE, 'raw', 'parquet', 'pipeline', 'workflow'],
  runtime: [...BASE, 'raw', 'parquet', 'pipeline', 'workflow', 'adapters', 'tasks'],
  // CDK deploys what the workflow room describes; it never reaches into tasks, the pipeline or adapters,
  // and of the runtime it reads only the AWS environment's defaults (ALSO_ALLOWED).
  cdk: [...BASE, 'workflow'],
  entry: ['kernel', 'parquet', 'contract', 'ports', 'sql', 'raw', 'generator', 'workflow', 'adapters', 'pipeline', 'tasks', 'runtime', 'cdk'],
};

/** Single modules a room may import beyond MAY_IMPORT. */
const ALSO_ALLOWED: Readonly<Partial<Record<Room, readonly string[]>>> = {
  cdk: ['src/runtime/aws/env'],
};

function roomOf(path: string): Room | undefined {
  return ROOMS.find(([pattern]) => pattern.test(path))?.[1];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s+|\brequire\(\s*)'(\.{1,2}\/[^']*)'/g;

/** Relative imports of a file, as repository paths (without extension). */
function importsOf(path: string): string[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => relative(ROOT, resolve(ROOT, dirname(path), m[1] as string)));
}

const FILES = ['src', 'tasks', 'cdk', 'bench', 'verify'].flatMap(sourceFiles);

test('every source file belongs to a room', () => {
  expect(FILES.filter((path) => roomOf(path) === undefined)).toEqual([]);
});

test('no file imports a room above its own (the arrows of docs/architecture.md point one way)', () => {
  const violations: string[] = [];
  for (const path of FILES) {
    const from = roomOf(path) as Room;
    for (const target of importsOf(path)) {
      const to = roomOf(sourcePath(target));
      if (to === undefined) {
        violations.push(`${path} -> ${target} (outside every room)`);
      } else if (to !== from && !MAY_IMPORT[from].includes(to) && !(ALSO_ALLOWED[from] ?? []).includes(target)) {
        violations.push(`${path} (${from}) -> ${target} (${to})`);
      }
    }
  }
  expect(violations).toEqual([]);
});

/** The AWS side and the local side of a room share only what sits outside both (e.g. src/adapters/*.ts). */
const SIDES: readonly [RegExp, string][] = [
  [/^src\/(adapters|runtime)\/aws\//, 'aws'],
  [/^src\/(adapters|runtime)\/local\//, 'local'],
  [/^src\/runtime\/(local-|slice-worker|worker-pool|athena-twin)/, 'local'],
];

function sideOf(path: string): string | undefined {
  return SIDES.find(([pattern]) => pattern.test(path))?.[1];
}

/** A file's import path with its extension, when it names a source file. */
function sourcePath(target: string): string {
  return target.endsWith('.ts') || target.endsWith('.json') ? target : `${target}.ts`;
}

/** Every source file `path` reaches through its imports, with the chain that first reaches it. */
function reachable(path: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[path, [path]]]);
  const queue = [path];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    if (!current.endsWith('.ts')) continue;
    for (const target of importsOf(current).map(sourcePath)) {
      if (seen.has(target) || target.startsWith('node_modules')) continue;
      seen.set(target, [...(seen.get(current) as string[]), target]);
      queue.push(target);
    }
  }
  return seen;
}

test('AWS code never reaches local code and local code never reaches AWS code, directly or not', () => {
  const violations: string[] = [];
  for (const path of FILES.filter((p) => p.startsWith('src/'))) {
    const from = sideOf(path);
    if (from === undefined) continue;
    for (const [target, chain] of reachable(path)) {
      const to = sideOf(target);
      if (to !== undefined && to !== from) violations.push(`${path} (${from}) reaches ${target} (${to}): ${chain.join(' -> ')}`);
    }
  }
  expect(violations).toEqual([]);
});

test('the rule sees imports (a file known to import another room is found)', () => {
  expect(importsOf('src/pipeline/deps.ts')).toContain('src/ports/clock');
});
