import type { PipelineDeps } from './deps';

/**
 * Whether one quarantine record (an NDJSON line of docs/quarantine.md's shape) is a line of this user:
 * - its raw line parses as a JSON object with a string `user_uuid`: that field decides (any case, as
 *   validation lower-cases it);
 * - otherwise (not JSON, cut at 64 KiB, not UTF-8, no usable `user_uuid`): the user id appears anywhere in
 *   the record (raw line, the exact bytes of `raw_base64`, the error messages), any case. A substring match
 *   is the best that can be done for a line nobody can parse: it may take a line that only mentions the user.
 * A record that is not JSON itself is matched by substring too.
 */
export function isQuarantineLineOf(recordLine: string, userUuid: string): boolean {
  const id = userUuid.toLowerCase();
  let record: unknown;
  try {
    record = JSON.parse(recordLine);
  } catch {
    return recordLine.toLowerCase().includes(id);
  }
  const raw = (record as { raw_line?: unknown } | null)?.raw_line;
  if (typeof raw === 'string') {
    try {
      const event = JSON.parse(raw) as unknown;
      const user = (event as { user_uuid?: unknown } | null)?.user_uuid;
      if (typeof event === 'object' && event !== null && !Array.isArray(event) && typeof user === 'string') {
        return user.toLowerCase() === id;
      }
    } catch {
      // Not JSON: fall through to the substring match.
    }
  }
  const base64 = (record as { raw_base64?: unknown }).raw_base64;
  const bytes = typeof base64 === 'string' ? Buffer.from(base64, 'base64').toString('latin1') : '';
  return `${recordLine}\n${bytes}`.toLowerCase().includes(id);
}

/**
 * Rewrites every quarantine object holding a line of the user without those lines (one atomic put per object;
 * an object left empty is deleted). Objects without such a line are not touched. Idempotent: a kill leaves
 * each object whole, before or after, and the next forget finishes the rest. Answers the lines removed.
 */
export async function forgetQuarantine(deps: PipelineDeps, userUuid: string): Promise<number> {
  let removed = 0;
  for await (const info of deps.objects.list('quarantine/')) {
    if (!info.key.endsWith('.ndjson') || info.notRegularFile !== undefined || info.escapedName === true) continue;
    const text = (await deps.objects.get(info.key)).toString('utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const kept = lines.filter((line) => !isQuarantineLineOf(line, userUuid));
    if (kept.length === lines.length) continue;
    removed += lines.length - kept.length;
    if (kept.length === 0) await deps.objects.delete(info.key);
    else await deps.objects.put(info.key, `${kept.join('\n')}\n`);
  }
  if (removed > 0) deps.progress(`quarantine: removed ${removed} lines`);
  return removed;
}
