import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from './io';

/** What `--lake` names: nothing, a directory, or something else (a file, a socket...). */
async function kindOf(path: string): Promise<'missing' | 'directory' | 'other'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw error;
  }
}

/**
 * Only `generate` and `demo` create a lake; `--lake` may name a folder that does not exist yet, never a
 * file. Throws UsageError (exit 2) otherwise.
 */
export async function checkNewLake(dir: string): Promise<void> {
  if ((await kindOf(resolve(dir))) === 'other') throw new UsageError(`--lake ${dir}: ${resolve(dir)} is not a directory`);
}

/**
 * Every other command needs a lake that exists: a folder holding raw/ or state/ (what `generate` writes).
 * A typo in --lake is a usage error (exit 2) that says what to do, never a new empty lake.
 */
export async function checkExistingLake(dir: string): Promise<void> {
  const root = resolve(dir);
  const kind = await kindOf(root);
  if (kind === 'other') throw new UsageError(`--lake ${dir}: ${root} is not a directory`);
  const hint = `run \`eventlake generate --lake ${dir}\` first, or pass --lake`;
  if (kind === 'missing') throw new UsageError(`no lake at ${root}: ${hint}`);
  const [raw, state] = await Promise.all([kindOf(join(root, 'raw')), kindOf(join(root, 'state'))]);
  if (raw !== 'directory' && state !== 'directory') throw new UsageError(`no lake at ${root} (the folder has no raw/ or state/): ${hint}`);
}
