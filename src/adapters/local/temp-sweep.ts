import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isErrnoCode, tempFileWriterPid } from './atomic-write';
import { processExists } from './process-exists';


/**
 * Removes temporary files left by writers that were killed mid-write (their process is gone), under the
 * given folders of a lake; files of live writers (another run in progress) are left alone. Returns the
 * paths removed. Symlinks are not followed.
 */
export async function sweepOrphanTempFiles(root: string, folders: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return;
      throw error;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const pid = tempFileWriterPid(entry.name);
        if (pid !== undefined && pid !== process.pid && !processExists(pid)) {
          await fs.rm(full, { force: true });
          removed.push(full);
        }
      }
    }
  };
  for (const folder of folders) await walk(path.join(root, folder));
  return removed;
}
