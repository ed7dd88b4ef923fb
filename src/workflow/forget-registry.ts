import type { TaskBinding } from './registry';

/**
 * The forget state machine (state-machines/forget.asl.json): each Task state and what runs it, as
 * STATE_BINDINGS does for the micro-batch. It takes and frees the micro-batch's run lease (AcquireLease is
 * the micro-batch's own function), so a forget never overlaps a run, a backfill or a compaction.
 */
export const FORGET_ASL_FILE = 'state-machines/forget.asl.json';

export const FORGET_STATE_BINDINGS: Readonly<Record<string, TaskBinding>> = {
  AcquireLease: { kind: 'lambda', task: 'acquire-lease', placeholder: 'AcquireLeaseFunctionArn' },
  BeginForget: { kind: 'lambda', task: 'begin-forget', placeholder: 'BeginForgetFunctionArn' },
  DeleteCuratedRows: { kind: 'athena', sql: 'forget_curated_rows', placeholder: 'ForgetCuratedRowsQuery', params: ['string'] },
  DeleteClassifiedRows: { kind: 'athena', sql: 'forget_classified_rows', placeholder: 'ForgetClassifiedRowsQuery', params: ['string'] },
  FinishForget: { kind: 'lambda', task: 'finish-forget', placeholder: 'FinishForgetFunctionArn' },
  ReleaseLeaseAfterFailure: { kind: 'lambda', task: 'finish-forget', placeholder: 'FinishForgetFunctionArn' },
};
