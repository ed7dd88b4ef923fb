import { InvalidInputError } from '../errors';
import type { ObjectStore } from '../ports/object-store';
import { DEFAULT_RETENTION, parseRetentionFile, RETENTION_AREAS, RETENTION_FILE, type Retention, type RetentionArea, type RetentionDays } from '../ports/retention';
import { UsageError } from './io';

/** The retention in force for a local lake and where it came from. */
export interface LakeRetention {
  readonly retention: Retention;
  /** `defaults`, `<lake>/retention.json`, and/or `flags` when a command line overrode an area. */
  readonly source: string;
}

/**
 * The defaults (src/ports/retention.ts), overridden by `<lake>/retention.json` when the lake has one, then by
 * the command line's `--<area>-days`. A bad file is a usage error naming the file and what to write.
 * The curated table must keep more than the dedup horizon: a row deleted inside it would let a late exact
 * copy of its event in again.
 */
export async function lakeRetention(
  objects: ObjectStore,
  dedupHorizonDays: number,
  overrides: Partial<Record<RetentionArea, RetentionDays>> = {},
): Promise<LakeRetention> {
  const sources: string[] = [];
  let retention: Retention = DEFAULT_RETENTION;
  if (await objects.exists(RETENTION_FILE)) {
    try {
      retention = parseRetentionFile((await objects.get(RETENTION_FILE)).toString('utf8'), objects.uri(RETENTION_FILE));
    } catch (error) {
      if (error instanceof InvalidInputError) throw new UsageError(error.message);
      throw error;
    }
    sources.push(objects.uri(RETENTION_FILE));
  }
  const given = RETENTION_AREAS.filter((area) => overrides[area] !== undefined);
  if (given.length > 0) {
    retention = { ...retention, ...Object.fromEntries(given.map((area) => [area, overrides[area]])) };
    sources.push('flags');
  }
  const curated = retention.curated;
  if (curated !== null && curated <= dedupHorizonDays) {
    throw new UsageError(`curated retention of ${curated} days is inside the ${dedupHorizonDays}-day dedup horizon: keep more than ${dedupHorizonDays} days, or keep (forever)`);
  }
  return { retention, source: sources.length > 0 ? sources.join(' + ') : 'defaults' };
}
