import { lakeSalt, NO_COUNTS, userHash, writeErasure } from '../../src/pipeline/erasure-log';
import type { PipelineDeps } from '../../src/pipeline/deps';

export interface ErasedUser {
  readonly user_hash: string;
  /** The user's rows in events_all_batches when the record was written. */
  readonly curated_rows: number;
}

/**
 * Records the user with the most curated rows (and no quarantine record) as forgotten, exactly as a forget's first step writes it to the
 * curated bucket (src/pipeline/erasure-log.ts: the salt once, then `erasures/log/<user_hash>.json`), so the
 * classification that follows must class every row of theirs `erased`, reading the record and the salt
 * through the Glue tables erased_users and erasure_salt.
 */
export async function eraseBusiestUser(deps: PipelineDeps, requestedAt: string): Promise<ErasedUser> {
  // A user with quarantine records is left alone: the replays that follow re-check those records, and their
  // outcomes are compared with a local run that forgot nobody.
  let quarantined = '';
  for await (const info of deps.objects.list('quarantine/')) quarantined += (await deps.objects.get(info.key)).toString('utf8').toLowerCase();
  const candidates = await deps.sql.query<{ user_uuid: string; n: number }>({
    name: 'verify/busiest_users',
    text: `SELECT user_uuid, CAST(count(*) AS INTEGER) AS n FROM ${await deps.sources.curatedSource()} WHERE user_uuid IS NOT NULL GROUP BY user_uuid ORDER BY n DESC, user_uuid`,
  });
  const busiest = candidates.find((c) => !quarantined.includes(c.user_uuid.toLowerCase()));
  if (busiest === undefined) throw new Error('no curated user without quarantine records: nobody to forget');
  const salt = await lakeSalt(deps.objects);
  const hash = userHash(salt, busiest.user_uuid);
  await writeErasure(deps.objects, { user_hash: hash, requested_at: requestedAt, completed_at: null, removed: NO_COUNTS });
  return { user_hash: hash, curated_rows: Number(busiest.n) };
}
