import { randomBytes } from 'node:crypto';
import type { PipelineDeps } from './deps';
import { NO_COUNTS, type ErasureCounts } from './erasure-log';
import { forgetCurated } from './forget-curated';
import { forgetQuarantine } from './forget-quarantine';
import { forgetStaging } from './forget-staging';
import { beginForget, completeForget } from './forget-steps';
import { normalizeUserUuid } from './forget-user';
import { acquireLease, releaseLease } from './lease';

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

export { normalizeUserUuid } from './forget-user';

/**
 * Forgets one user in the local lake, under the run lease (held: `skipped`): curated rows (only the affected
 * partitions are rewritten), quarantined lines, what committed batches left in staging, user state, then the
 * erasure record. The record (its hash,
 * without the id) is written FIRST, so later runs and backfills suppress the user from the moment anything is
 * removed; every step is idempotent, so a killed forget is finished by running it again, and a second forget
 * of a forgotten user changes nothing. Protocol: docs/operations.md#forgetting-a-user.
 */
export async function forget(deps: PipelineDeps, user: string, options: ForgetOptions = {}): Promise<ForgetReport> {
  normalizeUserUuid(user);
  const owner = `forget-${deps.clock.now().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const lease = await acquireLease(deps, owner);
  if (!lease.acquired) {
    return { status: 'skipped', holder: lease.holder, user_hash: null, removed: NO_COUNTS, requested_at: null, completed_at: null };
  }
  try {
    const begun = await beginForget(deps, user);
    await options.afterStep?.('record');
    const curated = await forgetCurated(deps, begun.user_uuid, options.afterPartition);
    await options.afterStep?.('curated');
    const quarantineLines = await forgetQuarantine(deps, begun.user_uuid);
    await options.afterStep?.('quarantine');
    const stagingRows = await forgetStaging(deps, begun.user_uuid);
    await options.afterStep?.('staging');
    const stateEntities = await deps.state.deleteUser(begun.user_uuid);
    await options.afterStep?.('state');
    const done = await completeForget(deps, begun, {
      curated_rows: curated.rows,
      curated_partitions: curated.partitions,
      quarantine_lines: quarantineLines,
      state_entities: stateEntities,
      staging_rows: stagingRows,
    });
    return { ...done, holder: null };
  } finally {
    await releaseLease(deps, owner);
  }
}
