import type { BatchMode, ExecutionResult } from '../ports/orchestrator';
import type { RunSummary } from '../pipeline/run-summary';

/** What a `run` / `backfill` execution ended as: committed or nothing to do exit 0, skipped 3, failed 1, interrupted 130/143. */
export type RunStatus = 'committed' | 'nothing_to_do' | 'skipped' | 'failed' | 'interrupted';

/**
 * The one JSON shape `run --json` and `backfill --json` print, one line per execution, whatever happened
 * (README "CLI"): every key always present; the counts are numbers when the execution read the raw objects
 * (committed, or nothing_to_do: zeros) and null when it did not get that far (skipped, failed, interrupted).
 */
export interface RunReport {
  status: RunStatus;
  /** The execution's name (local: it owned the lease; AWS: the Step Functions execution name). */
  execution: string | null;
  mode: BatchMode;
  batch_id: string | null;
  resumed: boolean | null;
  objects_read: number | null;
  lines_read: number | null;
  blank_lines: number | null;
  inserted: number | null;
  duplicates_in_batch: number | null;
  duplicates_existing: number | null;
  quarantined: number | null;
  quarantined_by_reason: Record<string, number> | null;
  already_quarantined: number | null;
  erased: number | null;
  enriched: number | null;
  no_account: number | null;
  no_subscription: number | null;
  partitions: number | null;
  merge_groups: number | null;
  backlog_objects: number | null;
  next_after: string | null;
  committed_at: string | null;
  /** skipped: who holds the lease. */
  lease_holder: string | null;
  /** failed / interrupted: the error name (ASL error, AWS SDK error, or the signal) and its cause. */
  error: string | null;
  cause: string | null;
}

export const RUN_REPORT_KEYS = [
  'status', 'execution', 'mode', 'batch_id', 'resumed', 'objects_read', 'lines_read', 'blank_lines', 'inserted',
  'duplicates_in_batch', 'duplicates_existing', 'quarantined', 'quarantined_by_reason', 'already_quarantined',
  'erased', 'enriched', 'no_account', 'no_subscription', 'partitions', 'merge_groups', 'backlog_objects', 'next_after',
  'committed_at', 'lease_holder', 'error', 'cause',
] as const satisfies readonly (keyof RunReport)[];

/** A report with no counts: the execution did not read the raw objects (or we do not know what it did). */
export function reportWithoutCounts(status: RunStatus, mode: RunReport['mode'], execution: string | null, extra: Partial<Pick<RunReport, 'lease_holder' | 'error' | 'cause'>> = {}): RunReport {
  return {
    status,
    execution,
    mode,
    batch_id: null,
    resumed: null,
    objects_read: null,
    lines_read: null,
    blank_lines: null,
    inserted: null,
    duplicates_in_batch: null,
    duplicates_existing: null,
    quarantined: null,
    quarantined_by_reason: null,
    already_quarantined: null,
    erased: null,
    enriched: null,
    no_account: null,
    no_subscription: null,
    partitions: null,
    merge_groups: null,
    backlog_objects: null,
    next_after: null,
    committed_at: null,
    lease_holder: null,
    error: null,
    cause: null,
    ...extra,
  };
}

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** The report of a finished execution (local or Step Functions). */
export function runReport(result: ExecutionResult, mode: RunReport['mode']): RunReport {
  if (result.status !== 'SUCCEEDED') {
    return reportWithoutCounts('failed', mode, result.name, { error: result.error ?? result.status, cause: result.cause ?? null });
  }
  const output = result.output ?? {};
  if (!('status' in output)) {
    // SkippedLeaseHeld ends with the state as it was: the lease result says who holds it.
    const lease = output.lease as { holder?: string } | undefined;
    return reportWithoutCounts('skipped', mode, result.name, { lease_holder: lease?.holder ?? null });
  }
  const s = output as unknown as Partial<RunSummary>;
  const status: RunStatus = s.status === 'nothing_to_do' ? 'nothing_to_do' : s.status === 'committed' ? 'committed' : 'failed';
  return {
    status,
    execution: result.name,
    mode: s.mode ?? mode,
    batch_id: s.batch_id ? s.batch_id : null,
    resumed: s.resumed ?? false,
    objects_read: count(s.objects_read),
    lines_read: count(s.lines_read),
    blank_lines: count(s.blank_lines),
    inserted: count(s.inserted),
    duplicates_in_batch: count(s.duplicates_in_batch),
    duplicates_existing: count(s.duplicates_existing),
    quarantined: count(s.quarantined),
    quarantined_by_reason: s.quarantined_by_reason ?? {},
    already_quarantined: count(s.already_quarantined),
    erased: count(s.erased),
    enriched: count(s.enriched),
    no_account: count(s.no_account),
    no_subscription: count(s.no_subscription),
    partitions: count(s.partitions),
    merge_groups: count(s.merge_groups),
    backlog_objects: count(s.backlog_objects),
    next_after: s.next_after ?? null,
    committed_at: s.committed_at ?? null,
    lease_holder: null,
    error: status === 'failed' ? `status ${String(s.status)}` : null,
    cause: null,
  };
}

/** The report of an execution that threw before it had a result (an AWS SDK error, a local crash). */
export function errorReport(error: unknown, mode: RunReport['mode'], execution: string | null): RunReport {
  const e = error instanceof Error ? error : new Error(String(error));
  return reportWithoutCounts('failed', mode, execution, { error: e.name, cause: e.message });
}

export function humanReport(r: RunReport): string {
  if (r.status === 'nothing_to_do') return r.mode === 'replay' ? 'nothing to do: no quarantined lines to replay' : 'nothing to do: no new raw objects';
  if (r.status !== 'committed') return `${r.status}: ${r.execution ?? ''}`;
  const reasons = Object.entries(r.quarantined_by_reason ?? {}).map(([reason, n]) => `${reason} ${n}`).join(', ');
  return [
    `batch ${r.batch_id ?? '?'} (${r.mode}${r.resumed ? ', resumed' : ''}) committed at ${r.committed_at ?? '?'}`,
    `  objects read         ${r.objects_read}`,
    `  lines read           ${r.lines_read}`,
    `  inserted             ${r.inserted}  (${r.partitions} partitions, ${r.merge_groups} merge groups)`,
    `  duplicates in batch  ${r.duplicates_in_batch}`,
    `  duplicates existing  ${r.duplicates_existing}`,
    `  quarantined          ${r.quarantined}${reasons ? `  (${reasons})` : ''}`,
    // A replay's lines that still fail (or conflict) stay quarantined: counted, never recorded twice.
    ...(r.mode === 'replay' || (r.already_quarantined ?? 0) > 0 ? [`  ${r.mode === 'replay' ? 'still quarantined  ' : 'already quarantined'}  ${r.already_quarantined}`] : []),
    `  blank lines          ${r.blank_lines}`,
    ...((r.erased ?? 0) > 0 ? [`  erased users' rows   ${r.erased}  (forgotten: not stored)`] : []),
    `  lessons enriched     ${r.enriched}  (no account ${r.no_account}, no subscription ${r.no_subscription})`,
    ...((r.backlog_objects ?? 0) > 0 ? [`  left for next batch  ${r.backlog_objects} raw objects (batch cap)`] : []),
  ].join('\n');
}
