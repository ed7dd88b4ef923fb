import { lakeSalt, NO_COUNTS, userHash, writeErasure } from '../../src/pipeline/erasure-log';
import type { PipelineDeps } from '../../src/pipeline/deps';

export interface ErasedUser {
  readonly user_hash: string;
  /** The user's rows in events_all_batches when the record was written. */
  readonly curated_rows: number;
}

/**
 * Records the user with the most curated rows as forgotten, exactly as a forget's first step writes it to the
 * curated bucket (src/pipeline/erasure-log.ts: the salt once, then `erasures/log/<user_hash>.json`), so the
 * classification that follows must class every row of theirs `erased`, reading the record and the salt
 * through the Glue tables erased_users and erasure_salt.
 */
export async function eraseBusiestUser(deps: PipelineDeps, requestedAt: string): Promise<ErasedUser> {
  const [busiest] = await deps.sql.query<{ user_uuid: string; n: number }>({
    name: 'verify/busiest_user',
    text: `SELECT user_uuid, CAST(count(*) AS INTEGER) AS n FROM ${await deps.sources.curatedSource()} WHERE user_uuid IS NOT NULL GROUP BY user_uuid ORDER BY n DESC, user_uuid LIMIT 1`,
  });
  if (busiest === undefined) throw new Error('no curated row has a user_uuid: nobody to forget');
  const salt = await lakeSalt(deps.objects);
  const hash = userHash(salt, busiest.user_uuid);
  await writeErasure(deps.objects, { user_hash: hash, requested_at: requestedAt, completed_at: null, removed: NO_COUNTS });
  return { user_hash: hash, curated_rows: Number(busiest.n) };
}
