import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where a state machine definition that passed the interpreter's check (aws-local-stepfunctions runs
 * asl-validator) is remembered: one empty file per definition, named by the hash of its text and of the two
 * packages' versions. npm tools keep such caches under node_modules/.cache.
 */
export const DEFAULT_CHECKED_DEFINITIONS_DIR = join(__dirname, '..', '..', 'node_modules', '.cache', 'eventlake', 'checked-definitions');

/**
 * A definition is checked once per machine, as AWS checks one when the state machine is created or updated
 * rather than per execution: the check took 0.4-0.5 s of CPU at the start of every local run (its first call
 * in a process compiles asl-validator's schemas). Another definition, or another version of either package,
 * is another file, so it is checked again.
 */
export class CheckedDefinitions {
  constructor(private readonly dir: string = DEFAULT_CHECKED_DEFINITIONS_DIR) {}

  /** The file that stands for `definition` having passed (hashed as given: call before the check touches it). */
  markerOf(definition: unknown): string {
    const hash = createHash('sha256').update(checkerVersions()).update('\n').update(JSON.stringify(definition)).digest('hex');
    return join(this.dir, `${hash}.checked`);
  }

  has(marker: string): boolean {
    return existsSync(marker);
  }

  /** Remembers a definition that passed. Best effort: where the folder cannot be written, the next run checks again. */
  remember(marker: string): void {
    try {
      mkdirSync(dirname(marker), { recursive: true });
      writeFileSync(marker, '');
    } catch {
      // A read-only install: nothing is lost but the time of the next check.
    }
  }
}

/** The version in the package.json of the package whose entry point `require.resolve` found at `entry`. */
function versionOfPackageAt(entry: string, name: string): string {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ${name} above ${entry}`);
  }
}

let versions: string | undefined;

/** The interpreter's and its validator's versions (a new one may check differently), read on first use. */
function checkerVersions(): string {
  if (versions === undefined) {
    const interpreter = require.resolve('aws-local-stepfunctions');
    versions = [
      `aws-local-stepfunctions@${versionOfPackageAt(interpreter, 'aws-local-stepfunctions')}`,
      `asl-validator@${versionOfPackageAt(require.resolve('asl-validator', { paths: [interpreter] }), 'asl-validator')}`,
    ].join(' ');
  }
  return versions;
}
