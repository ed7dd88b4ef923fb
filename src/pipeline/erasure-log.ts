import { createHash, randomBytes } from 'node:crypto';
import { ObjectNotFoundError } from '../errors';
import { Layout } from '../ports/layout';
import type { ObjectStore } from '../ports/object-store';

/**
 * What `eventlake forget` keeps of a forgotten user: when, how much it removed, and a salted hash of the id,
 * never the id (docs/operations.md#forgetting-a-user). `erasures/log/<user_hash>.json`.
 */
export interface ErasureRecord {
  /** sha256 (lower-case hex) of the lake's salt followed by the user id (`userHash`). */
  readonly user_hash: string;
  /** When the first forget of this user started (ISO, UTC); suppression holds from then on. */
  readonly requested_at: string;
  /** When a forget of this user last finished; null while one is under way or was killed. */
  readonly completed_at: string | null;
  /** What was removed, summed over every forget of this user. */
  readonly removed: ErasureCounts;
}

export interface ErasureCounts {
  /** Rows of the curated table. */
  readonly curated_rows: number;
  /** Partitions (`event_type=<t>/event_date=<d>/`) rewritten. */
  readonly curated_partitions: number;
  /** Quarantine records. */
  readonly quarantine_lines: number;
  /** User-state entities (account, subscriptions). */
  readonly state_entities: number;
  /** Rows and lines committed batches left in staging/ (local lake: nothing expires them). */
  readonly staging_rows: number;
}

export const NO_COUNTS: ErasureCounts = { curated_rows: 0, curated_partitions: 0, quarantine_lines: 0, state_entities: 0, staging_rows: 0 };

export function addCounts(a: ErasureCounts, b: ErasureCounts): ErasureCounts {
  return {
    curated_rows: a.curated_rows + b.curated_rows,
    curated_partitions: a.curated_partitions + b.curated_partitions,
    quarantine_lines: a.quarantine_lines + b.quarantine_lines,
    state_entities: a.state_entities + b.state_entities,
    staging_rows: a.staging_rows + b.staging_rows,
  };
}

/**
 * The lake's salt: 32 random bytes as hex, written once to `erasures/salt.json` and read back ever after
 * (callers hold the run lease, so two forgets never both create one). Never printed, never in a record.
 */
export async function lakeSalt(objects: ObjectStore): Promise<string> {
  try {
    const stored = JSON.parse((await objects.get(Layout.erasureSalt)).toString('utf8')) as { salt?: unknown };
    if (typeof stored.salt !== 'string' || !/^[0-9a-f]{64}$/.test(stored.salt)) {
      throw new Error(`${objects.uri(Layout.erasureSalt)} is corrupt: expected {"salt": 64 hex digits}. Restore it from a backup: without it no erased user is recognised again`);
    }
    return stored.salt;
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError)) throw error;
  }
  const salt = randomBytes(32).toString('hex');
  await objects.put(Layout.erasureSalt, JSON.stringify({ salt }));
  return salt;
}

/**
 * sha256 of `salt` followed by the user id, lower-case hex: the same value as DuckDB's `sha256(salt || id)` and
 * Athena's `lower(to_hex(sha256(to_utf8(salt || id))))` in sql/duckdb/ and sql/athena/classify_batch.sql (the functions are cited
 * there); tests/pipeline/forget.test.ts (a backfill) and tests/verify/erased-classify.test.ts pass only if they agree.
 */
export function userHash(salt: string, userUuid: string): string {
  return createHash('sha256').update(salt + userUuid, 'utf8').digest('hex');
}

export async function readErasure(objects: ObjectStore, hash: string): Promise<ErasureRecord | undefined> {
  try {
    return JSON.parse((await objects.get(Layout.erasureRecord(hash))).toString('utf8')) as ErasureRecord;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}

export async function writeErasure(objects: ObjectStore, record: ErasureRecord): Promise<void> {
  await objects.put(Layout.erasureRecord(record.user_hash), `${JSON.stringify(record)}\n`);
}

/** Every forgotten user's hash. */
export async function erasedHashes(objects: ObjectStore): Promise<Set<string>> {
  const hashes = new Set<string>();
  for await (const info of objects.list(Layout.erasureRecords)) {
    const hash = /([0-9a-f]{64})\.json$/.exec(info.key)?.[1];
    if (hash !== undefined) hashes.add(hash);
  }
  return hashes;
}
