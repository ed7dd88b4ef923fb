import { isErrnoCode } from './atomic-write';

/** Whether a process with this pid exists on this host (signal 0, kill(2)); EPERM means it does, as another user. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrnoCode(error, 'EPERM');
  }
}
