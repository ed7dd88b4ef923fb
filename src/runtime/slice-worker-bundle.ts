import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** The project's root: every source file that finds it from `__dirname` goes up two folders, as this one does. */
const ROOT = join(__dirname, '..', '..');

/**
 * Where the bundle and its record go. Two folders below the root, like the sources: the bundled code keeps the
 * `join(__dirname, '..', '..')` of src/sql/render.ts and the like, and finds the same folders from here.
 */
export const DEFAULT_BUNDLE_DIR = join(ROOT, 'node_modules', '.cache');

/** The slice worker through tsx: what runs when no bundle can be built. */
export const TSX_WORKER_ENTRY = join(__dirname, 'slice-worker.js');

const RECORD = 'eventlake-slice-worker.json';

/** What a slice worker process is started from. */
export interface WorkerEntry {
  readonly file: string;
  readonly bundled: boolean;
  /** Why the tsx entry is used instead of a bundle. */
  readonly fallback?: string;
}

/** The part of esbuild's API the bundle needs (a dependency; tsx needs it as well). */
interface Esbuild {
  buildSync(options: Record<string, unknown>): {
    outputFiles?: { contents: Uint8Array }[];
    metafile?: { inputs: Record<string, unknown> };
  };
}

export interface BundleOptions {
  /** The project to bundle from (tests use a small one). */
  readonly root?: string;
  /** The entry, relative to `root`. */
  readonly main?: string;
  /** Where the bundle goes: two folders below `root` (see DEFAULT_BUNDLE_DIR). */
  readonly dir?: string;
  /** Loads esbuild, or gives undefined when it is not installed. */
  readonly loadEsbuild?: () => Esbuild | undefined;
}

/** The record kept beside a bundle: its file, and the hash of every project file it was built from. */
interface BundleRecord {
  readonly bundle: string;
  readonly inputs: Readonly<Record<string, string>>;
}

function requireEsbuild(): Esbuild | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a bundle is built
    return require('esbuild') as Esbuild;
  } catch {
    return undefined;
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The record's bundle when every input still has the hash it was built from, else undefined. */
function currentBundle(root: string, dir: string): string | undefined {
  let record: BundleRecord;
  try {
    record = JSON.parse(readFileSync(join(dir, RECORD), 'utf8')) as BundleRecord;
  } catch {
    return undefined;
  }
  const file = join(dir, record.bundle);
  if (!existsSync(file)) return undefined;
  for (const [input, hash] of Object.entries(record.inputs)) {
    let contents: Buffer;
    try {
      contents = readFileSync(join(root, input));
    } catch {
      return undefined;
    }
    if (sha256(contents) !== hash) return undefined;
  }
  return file;
}

/** Writes `data` to `file` whole or not at all (two processes may build at once: the last rename wins). */
function writeAtomic(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, file);
}

/**
 * Bundles the project files the entry reaches into one CommonJS file; packages stay `require`d from
 * node_modules (nothing of theirs is copied, and a package updated since is loaded as it is now).
 * Throws when a bundled file reads `__dirname`/`__filename` from another depth than the bundle's: its paths
 * would point elsewhere in the bundle.
 */
function build(esbuild: Esbuild, root: string, main: string, dir: string): string {
  const result = esbuild.buildSync({
    entryPoints: [join(root, main)],
    absWorkingDir: root,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles?.[0]?.contents;
  if (code === undefined || result.metafile === undefined) throw new Error('esbuild gave no output');
  const depth = relative(root, dir).split(sep).length;
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const contents = readFileSync(join(root, input));
    const text = contents.toString('utf8');
    if ((text.includes('__dirname') || text.includes('__filename')) && dirname(input).split(/[\\/]/).length !== depth) {
      throw new Error(`${input} uses __dirname but is not ${depth} folders below the project like the bundle`);
    }
    inputs[input] = sha256(contents);
  }
  const bundle = `eventlake-slice-worker-${sha256(code).slice(0, 16)}.js`;
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, bundle), code);
  writeAtomic(join(dir, RECORD), JSON.stringify({ bundle, inputs } satisfies BundleRecord));
  return join(dir, bundle);
}

/**
 * The file slice worker processes start from: the worker and the project files it reaches as one JavaScript
 * file, built by esbuild on first use and again whenever one of those files changed (their contents are
 * hashed against the record kept beside the bundle). A process started from it is ready in ~0.1 s instead of
 * ~0.3 s, and validates a line faster: tsx resolves and transforms each of ~100 modules in every process, and
 * its modules call each other through export getters (docs/performance.md). Where no bundle can be built
 * (a read-only install, a failed build, esbuild not loadable) the worker loads through tsx, with the reason.
 */
export function sliceWorkerEntry(options: BundleOptions = {}): WorkerEntry {
  const root = options.root ?? ROOT;
  const main = options.main ?? relative(ROOT, join(__dirname, 'slice-worker-main.ts'));
  const dir = options.dir ?? DEFAULT_BUNDLE_DIR;
  const current = currentBundle(root, dir);
  if (current !== undefined) return { file: current, bundled: true };
  const esbuild = (options.loadEsbuild ?? requireEsbuild)();
  if (esbuild === undefined) return { file: TSX_WORKER_ENTRY, bundled: false, fallback: 'esbuild is not installed' };
  try {
    return { file: build(esbuild, root, main, dir), bundled: true };
  } catch (error) {
    return { file: TSX_WORKER_ENTRY, bundled: false, fallback: `the worker bundle could not be built: ${error instanceof Error ? error.message : String(error)}` };
  }
}
