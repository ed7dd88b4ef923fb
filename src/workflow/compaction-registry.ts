import type { TaskBinding } from './registry';

/**
 * The compaction state machine (state-machines/compaction.asl.json): each Task state and what runs it, as
 * STATE_BINDINGS does for the micro-batch. It takes and frees the same run lease as the micro-batch
 * (AcquireLease is the micro-batch's own function), so a compaction never overlaps a run.
 */
export const COMPACTION_ASL_FILE = 'state-machines/compaction.asl.json';

export const COMPACTION_STATE_BINDINGS: Readonly<Record<string, TaskBinding>> = {
  AcquireLease: { kind: 'lambda', task: 'acquire-lease', placeholder: 'AcquireLeaseFunctionArn' },
  PlanCompaction: { kind: 'lambda', task: 'plan-compaction', placeholder: 'PlanCompactionFunctionArn' },
  OptimizePartition: { kind: 'athena', sql: 'optimize_partition', placeholder: 'OptimizePartitionQuery', params: ['string', 'string'] },
  VacuumEvents: { kind: 'athena', sql: 'vacuum_events', placeholder: 'VacuumEventsQuery', params: [] },
  ClearClassified: { kind: 'athena', sql: 'clear_classified', placeholder: 'ClearClassifiedQuery', params: ['string'] },
  VacuumClassified: { kind: 'athena', sql: 'vacuum_classified', placeholder: 'VacuumClassifiedQuery', params: [] },
  PruneStaging: { kind: 'lambda', task: 'prune-staging', placeholder: 'PruneStagingFunctionArn' },
  ReleaseLease: { kind: 'lambda', task: 'finish-compaction', placeholder: 'FinishCompactionFunctionArn' },
  ReleaseLeaseAfterFailure: { kind: 'lambda', task: 'finish-compaction', placeholder: 'FinishCompactionFunctionArn' },
};
