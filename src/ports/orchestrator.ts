/**
 * What a run does: `scheduled` takes every raw object not processed yet, `backfill` re-reads a range of days,
 * `replay` re-validates quarantined lines under the current contract (docs/quarantine.md#replay).
 * The one mode type of the code base (run input, manifest, payloads, summaries, execution names).
 */
export const BATCH_MODES = ['scheduled', 'backfill', 'replay'] as const;
export type BatchMode = (typeof BATCH_MODES)[number];

/** Runs the state machine: aws-local-stepfunctions in-process locally, Step Functions on AWS. */
export interface ExecutionRequest {
  /** Deterministic execution name (scheduled: from the schedule time; backfill: from the range). */
  readonly name: string;
  readonly input: Record<string, unknown>;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionResult {
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly output?: Record<string, unknown>;
  /** ASL error name when not SUCCEEDED, e.g. `EventLake.ConservationViolated`. */
  readonly error?: string;
  readonly cause?: string;
}

export interface Orchestrator {
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
}
