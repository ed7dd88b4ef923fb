import { randomBytes } from 'node:crypto';
import { uuidProblem } from '../contract/schemas';
import { InvalidInputError } from '../errors';
import type { PipelineDeps } from './deps';
import { addCounts, lakeSalt, NO_COUNTS, readErasure, userHash, writeErasure, type ErasureCounts, type ErasureRecord } from './erasure-log';
import { forgetCurated } from './forget-curated';
import { forgetQuarantine } from './forget-quarantine';
import { forgetStaging } from './forget-staging';
import { acquireLease, releaseLease } from './lease';
import { checkpointName } from './plan-batch';

export interface ForgetOptions {
  /** Test hook: runs after each step (throw to simulate a kill there). */
  readonly afterStep?: (step: 'record' | 'curated' | 'quarantine' | 'staging' | 'state') => Promise<void> | void;
  /** Test hook: runs after each curated partition is published. */
  readonly afterPartition?: (partition: string) => Promise<void> | void;
}

export interface ForgetReport {
  /** `forgotten`: something was removed; `nothing_to_do`: the user was already forgotten and nothing of theirs was left. */
  readonly status: 'forgotten' | 'nothing_to_do' | 'skipped';
  /** Who holds the run lease when `skipped`. */
  readonly holder: string | null;
  /** The erasure record's name: the salted hash of the id (null when skipped). */
  readonly user_hash: string | null;
  /** What this call removed. */
  readonly removed: ErasureCounts;
  readonly requested_at: string | null;
  readonly completed_at: string | null;
}

/** The user id as the pipeline stores it (validation lower-cases it), or InvalidInputError saying what is wrong. */
export function normalizeUserUuid(value: string): string {
  const problem = uuidProblem(value);
  if (problem !== null) throw new InvalidInputError(`--user ${problem}`);
  return value.toLowerCase();
}

/**
 * Forgets one user in the local lake, under the run lease (held: `skipped`): curated rows (only the affected
 * partitions are rewritten), quarantined lines, what committed batches left in staging, user state, then the
 * erasure record. The record (its hash,
 * without the id) is written FIRST, so later runs and backfills suppress the user from the moment anything is
 * removed; every step is idempotent, so a killed forget is finished by running it again, and a second forget
 * of a forgotten user changes nothing. Protocol: docs/operations.md#forgetting-a-user.
 */
export async function forget(deps: PipelineDeps, user: string, options: ForgetOptions = {}): Promise<ForgetReport> {
  const userUuid = normalizeUserUuid(user);
  const owner = `forget-${deps.clock.now().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const lease = await acquireLease(deps, owner);
  if (!lease.acquired) {
    return { status: 'skipped', holder: lease.holder, user_hash: null, removed: NO_COUNTS, requested_at: null, completed_at: null };
  }
  try {
    // A pending batch was classified before this user was forgotten: its resumed merge would bring rows back.
    for (const mode of ['scheduled', 'backfill'] as const) {
      const pending = (await deps.state.getCheckpoint(checkpointName(deps, mode))).pending;
      if (pending !== undefined) {
        throw new InvalidInputError(
          `batch ${pending.batchId} (${mode}) is pending: finish it first (\`eventlake ${mode === 'scheduled' ? 'run' : 'backfill'}\` resumes it), then forget`,
        );
      }
    }
    const hash = userHash(await lakeSalt(deps.objects), userUuid);
    const existing = await readErasure(deps.objects, hash);
    const requestedAt = existing?.requested_at ?? deps.clock.now().toISOString();
    if (existing === undefined) {
      // Before anything is removed: from here on, runs and backfills classify this user's rows as erased.
      await writeErasure(deps.objects, { user_hash: hash, requested_at: requestedAt, completed_at: null, removed: NO_COUNTS });
    }
    await options.afterStep?.('record');
    const curated = await forgetCurated(deps, userUuid, options.afterPartition);
    await options.afterStep?.('curated');
    const quarantineLines = await forgetQuarantine(deps, userUuid);
    await options.afterStep?.('quarantine');
    const stagingRows = await forgetStaging(deps, userUuid);
    await options.afterStep?.('staging');
    const stateEntities = await deps.state.deleteUser(userUuid);
    await options.afterStep?.('state');
    const removed: ErasureCounts = {
      curated_rows: curated.rows,
      curated_partitions: curated.partitions,
      quarantine_lines: quarantineLines,
      state_entities: stateEntities,
      staging_rows: stagingRows,
    };
    const nothing = Object.values(removed).every((n) => n === 0);
    if (nothing && existing?.completed_at != null) {
      // Already forgotten and nothing came back: not even the record changes.
      return { status: 'nothing_to_do', holder: null, user_hash: hash, removed, requested_at: existing.requested_at, completed_at: existing.completed_at };
    }
    const record: ErasureRecord = {
      user_hash: hash,
      requested_at: requestedAt,
      completed_at: deps.clock.now().toISOString(),
      removed: addCounts(existing?.removed ?? NO_COUNTS, removed),
    };
    await writeErasure(deps.objects, record);
    deps.progress(
      `forgotten: ${removed.curated_rows} rows in ${removed.curated_partitions} partitions, ${removed.quarantine_lines} quarantined lines, ` +
        `${removed.state_entities} state entities, ${removed.staging_rows} staged rows`,
    );
    return { status: 'forgotten', holder: null, user_hash: hash, removed, requested_at: record.requested_at, completed_at: record.completed_at };
  } finally {
    await releaseLease(deps, owner);
  }
}
