import { InvalidInputError } from '../errors';
import type { PipelineDeps } from './deps';
import { addCounts, lakeSalt, NO_COUNTS, readErasure, userHash, writeErasure, type ErasureCounts, type ErasureRecord } from './erasure-log';
import { normalizeUserUuid } from './forget-user';
import { checkpointName } from './plan-batch';

/** What the first step of a forget found and wrote: the user (validated, lower-cased) and their record. */
export interface BegunForget {
  readonly user_uuid: string;
  readonly user_hash: string;
  readonly requested_at: string;
  /** When an earlier forget of this user finished (null: never). */
  readonly completed_before: string | null;
}

/**
 * The first step of every forget (local `eventlake forget` and the AWS forget state machine), under the run
 * lease: refuses while a batch is pending (its classification predates the erasure: its resumed merge would
 * bring rows back), then writes the erasure record before anything is removed, so every later run and
 * backfill classes the user's rows `erased` from then on. The id is validated as a UUID here, before any step
 * uses it (the AWS DELETE formats it into its SQL text). Idempotent: an existing record is kept.
 */
export async function beginForget(deps: PipelineDeps, user: string): Promise<BegunForget> {
  const userUuid = normalizeUserUuid(user);
  for (const mode of ['scheduled', 'backfill'] as const) {
    const pending = (await deps.state.getCheckpoint(checkpointName(deps, mode))).pending;
    if (pending !== undefined) {
      throw new InvalidInputError(
        `batch ${pending.batchId} (${mode}) is pending: finish it first (${mode === 'scheduled' ? '`eventlake run` or, on AWS, the next scheduled execution' : 'the same backfill again'} resumes it), then forget`,
      );
    }
  }
  const hash = userHash(await lakeSalt(deps.objects), userUuid);
  const existing = await readErasure(deps.objects, hash);
  const requestedAt = existing?.requested_at ?? deps.clock.now().toISOString();
  if (existing === undefined) {
    await writeErasure(deps.objects, { user_hash: hash, requested_at: requestedAt, completed_at: null, removed: NO_COUNTS });
  }
  return { user_uuid: userUuid, user_hash: hash, requested_at: requestedAt, completed_before: existing?.completed_at ?? null };
}

export interface CompletedForget {
  /** `forgotten`: something was removed; `nothing_to_do`: already forgotten and nothing of theirs was left. */
  readonly status: 'forgotten' | 'nothing_to_do';
  readonly user_hash: string;
  /** What this forget removed. */
  readonly removed: ErasureCounts;
  readonly requested_at: string;
  readonly completed_at: string | null;
}

/**
 * The last step: the record gets `completed_at` and the counts (summed over every forget of the user). A
 * second forget of a forgotten user that removed nothing changes nothing, not even the record.
 */
export async function completeForget(deps: PipelineDeps, begun: BegunForget, removed: ErasureCounts): Promise<CompletedForget> {
  const nothing = Object.values(removed).every((n) => n === 0);
  if (nothing && begun.completed_before !== null) {
    return { status: 'nothing_to_do', user_hash: begun.user_hash, removed, requested_at: begun.requested_at, completed_at: begun.completed_before };
  }
  const existing = await readErasure(deps.objects, begun.user_hash);
  const record: ErasureRecord = {
    user_hash: begun.user_hash,
    requested_at: begun.requested_at,
    completed_at: deps.clock.now().toISOString(),
    removed: addCounts(existing?.removed ?? NO_COUNTS, removed),
  };
  await writeErasure(deps.objects, record);
  deps.progress(
    `forgotten: ${removed.curated_rows} rows in ${removed.curated_partitions} partitions, ${removed.quarantine_lines} quarantined lines, ` +
      `${removed.state_entities} state entities, ${removed.staging_rows} staged rows`,
  );
  return { status: 'forgotten', user_hash: begun.user_hash, removed, requested_at: record.requested_at, completed_at: record.completed_at };
}
