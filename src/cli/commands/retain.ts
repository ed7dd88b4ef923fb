import { stat } from 'node:fs/promises';
import type { ObjectStore } from '../../ports/object-store';
import { RETENTION_AREAS, type RetentionDays } from '../../ports/retention';
import type { RetainReport } from '../../pipeline/retain';

/** A local file's modification time: the age of a raw object whose key has no arrival hour. */
export function modifiedAtMs(objects: ObjectStore): (key: string) => Promise<number | undefined> {
  return async (key) => {
    try {
      return (await stat(objects.uri(key))).mtimeMs;
    } catch {
      return undefined;
    }
  };
}

export function describeDays(days: RetentionDays): string {
  return days === null ? 'kept forever' : `${days} days`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `retain` for people: one line per area (what it keeps, what went, what stays protected, the oldest left). */
export function humanRetainReport(report: RetainReport): string {
  const verb = report.status === 'dry_run' ? 'would remove' : 'removed';
  const lines = [`${report.status === 'dry_run' ? 'dry run: nothing removed' : 'retention applied'} at ${report.now}`];
  for (const area of RETENTION_AREAS) {
    const a = report.areas[area];
    const cutoff = a.cutoff === null ? '' : ` (before ${a.cutoff.slice(0, 10)})`;
    const kept = a.protected_objects > 0 ? `, ${a.protected_objects} kept whatever their age (not processed yet, or of a batch to resume or not committed)` : '';
    lines.push(
      `${area.padEnd(11)} ${describeDays(a.days)}${cutoff}: ${verb} ${a.removed_objects} of ${a.objects} objects, ${mib(a.removed_bytes)}${kept}; oldest left ${a.oldest ?? 'none'}`,
    );
  }
  return lines.join('\n');
}
