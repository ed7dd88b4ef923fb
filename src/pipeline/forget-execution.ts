import { renderSql } from '../sql/render';
import type { PipelineDeps } from './deps';
import { NO_COUNTS } from './erasure-log';
import { beginForget, completeForget, type BegunForget, type CompletedForget } from './forget-steps';
import { forgetQuarantine } from './forget-quarantine';
import { releaseLease } from './lease';

/** BeginForget's result: the record written, and what DeleteCuratedRows is about to delete. */
export interface ForgetBegun extends BegunForget {
  readonly curated_rows: number;
  readonly curated_partitions: number;
}

/**
 * BeginForget of the forget state machine (docs/operations.md#forgetting-a-user): the id validated, the
 * pending-batch check and the erasure record written before anything is removed (beginForget), then the
 * user's rows and partitions in the curated table counted (sql/athena/forget_curated_counts.sql), since the
 * native DELETE that follows reports no count to the state machine.
 */
export async function beginForgetExecution(deps: PipelineDeps, user: string): Promise<ForgetBegun> {
  const begun = await beginForget(deps, user);
  const [counts] = await deps.sql.query<{ curated_rows: number; curated_partitions: number }>(
    renderSql(deps.dialect, 'forget_curated_counts', { curated_source: await deps.sources.curatedSource() }),
    [begun.user_uuid],
  );
  return { ...begun, curated_rows: Number(counts?.curated_rows ?? 0), curated_partitions: Number(counts?.curated_partitions ?? 0) };
}

export interface ForgetSummary extends Omit<CompletedForget, 'status'> {
  readonly status: CompletedForget['status'] | 'failed';
  /** The error that stopped the execution (`Error: Cause`), null when it finished. */
  readonly error: string | null;
}

/**
 * FinishForget (and ReleaseLeaseAfterFailure) of the forget state machine: after the Athena DELETEs, the
 * user's quarantine records (one atomic rewrite per object holding them, src/pipeline/forget-quarantine.ts)
 * and user state (StateStore.deleteUser) go, the record is completed with the counts, and the run lease is
 * freed whatever happened. Staging on AWS is left to its lifecycle rule and the compaction's pruning (its
 * Parquet parts cannot be rewritten by Athena), and the classified table's rows were deleted by the state
 * machine: `staging_rows` stays 0. After a failure only the lease is freed; the record stays incomplete
 * and a new execution finishes the forget (every step is idempotent).
 */
export async function finishForgetExecution(
  deps: PipelineDeps,
  state: { owner: string; begun?: ForgetBegun | undefined; error?: { Error: string; Cause: string } | undefined },
): Promise<ForgetSummary> {
  try {
    if (state.error !== undefined || state.begun === undefined) {
      return {
        status: 'failed',
        user_hash: state.begun?.user_hash ?? '',
        removed: NO_COUNTS,
        requested_at: state.begun?.requested_at ?? '',
        completed_at: null,
        error: state.error !== undefined ? `${state.error.Error}: ${state.error.Cause}` : 'the forget did not begin',
      };
    }
    const { begun } = state;
    const quarantineLines = await forgetQuarantine(deps, begun.user_uuid);
    const stateEntities = await deps.state.deleteUser(begun.user_uuid);
    const done = await completeForget(deps, begun, {
      curated_rows: begun.curated_rows,
      curated_partitions: begun.curated_partitions,
      quarantine_lines: quarantineLines,
      state_entities: stateEntities,
      staging_rows: 0,
    });
    return { ...done, error: null };
  } finally {
    await releaseLease(deps, state.owner);
  }
}
