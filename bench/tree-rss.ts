/**
 * Resident memory of this process and every process below it (the slice worker processes), read from
 * /proc (Linux): the bench's peak RSS is the whole process tree's, as a machine running the pipeline sees
 * it. Elsewhere (no /proc) it is this process's alone.
 */
import { readdirSync, readFileSync } from 'node:fs';

const PAGE_KIB = 4;

/** Resident KiB of one process (statm's second field is resident pages), 0 once it is gone. */
function residentKib(pid: number): number {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(statm[1]) * PAGE_KIB;
  } catch {
    return 0;
  }
}

/** The children of `pid`, over all its threads. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(' ').map(Number));
    }
  } catch {
    // The process ended while it was read.
  }
  return out;
}

/** RSS in MiB of `pid` (this process by default) and all its descendants now. */
export function treeRssMib(pid: number = process.pid): number {
  let kib = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop() as number;
    const own = residentKib(next);
    kib += own === 0 && next === process.pid ? process.memoryUsage.rss() / 1024 : own;
    queue.push(...childrenOf(next));
  }
  return kib / 1024;
}
