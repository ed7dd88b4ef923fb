import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { ExecutionResult } from '../../ports/orchestrator';
import type { RunSummary } from '../../pipeline/run-summary';
import { LocalOrchestrator } from '../../runtime/local-orchestrator';
import type { LocalLake } from '../../runtime/local-lake';
import { ExitCode, type CliIo } from '../io';
import { sweepOrphanTempFiles } from '../../adapters/local/temp-sweep';

/** Where the pipeline writes in a lake (raw/ is the producers'). */
const LAKE_WRITE_FOLDERS = ['state', 'staging', 'quarantine', 'curated', 'runs'];

export interface RunRequest {
  readonly mode: 'scheduled' | 'backfill';
  readonly from?: string;
  readonly to?: string;
  /** Backfill: continue the range after this raw key. */
  readonly after?: string;
  /** Worker threads for the slice states (default: one per core). */
  readonly workers?: number;
}

/** A unique local execution name (it owns the lease): mode, UTC time, random suffix. */
export function executionName(lake: LocalLake, mode: string): string {
  const stamp = lake.clock.now().toISOString().replace(/[-:.]/g, '').slice(0, 15);
  return `${mode}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** One execution of the state machine on the local lake. */
export async function executeRun(lake: LocalLake, request: RunRequest, name = executionName(lake, request.mode)): Promise<ExecutionResult> {
  const input: Record<string, unknown> = { mode: request.mode };
  if (request.from !== undefined) input.from = request.from;
  if (request.to !== undefined) input.to = request.to;
  if (request.after !== undefined) input.after = request.after;
  const workers = request.workers ?? availableParallelism();
  return new LocalOrchestrator(lake, { workers }).execute({ name, input });
}

/**
 * Runs executions until the backlog is drained: each execution commits one capped batch (exactly once),
 * the next plans the rest (a backfill continues after the last key of the previous batch). Prints each
 * batch's summary (one JSON line per batch with --json); stops at the first run that is not committed.
 */
export async function runUntilDrained(io: CliIo, lake: LocalLake, request: RunRequest, json: boolean): Promise<{ code: number; last?: ExecutionResult }> {
  let next: RunRequest = request;
  let current: string | undefined;
  // Files a killed run was writing never outlive the next run (the batch they belonged to is rewritten whole).
  const swept = await sweepOrphanTempFiles(lake.root, LAKE_WRITE_FOLDERS);
  if (swept.length > 0) lake.progress(`removed ${swept.length} temporary files left by a killed run`);
  const stop = releaseOnSignal(io, lake, () => current);
  try {
    for (;;) {
      current = executionName(lake, next.mode);
      const result = await executeRun(lake, next, current);
      const code = reportRun(io, result, json);
      const summary = result.output as Partial<RunSummary> | undefined;
      if (code !== ExitCode.ok || summary?.status !== 'committed' || !summary.backlog_objects) return { code, last: result };
      lake.progress(`${summary.backlog_objects} raw objects left: next batch`);
      next = summary.next_after ? { ...request, after: summary.next_after } : request;
    }
  } finally {
    stop();
  }
}

/**
 * Ctrl-C or SIGTERM during a run: release the lease the running execution holds (so the next run need not
 * wait for its expiry), say which batch stays pending, and exit 130 / 143. Files a killed state was
 * writing are rewritten whole when the batch resumes.
 */
function releaseOnSignal(io: CliIo, lake: LocalLake, owner: () => string | undefined): () => void {
  const handler = (signal: NodeJS.Signals) => {
    void (async () => {
      const name = owner();
      const released = name === undefined ? false : await lake.state.releaseLease(lake.config.pipelineName, name).catch(() => false);
      const checkpoint = await lake.state.getCheckpoint(lake.config.pipelineName).catch(() => undefined);
      const pending = checkpoint?.pending ? `; batch ${checkpoint.pending.batchId} stays pending: the next run resumes it` : '';
      io.err(`interrupted by ${signal}: ${released ? 'lease released' : 'no lease held'}${pending}`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    })();
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}

/** Prints the summary (stdout) and returns the exit code: 0 committed or nothing to do, 3 skipped, 1 failed. */
export function reportRun(io: CliIo, result: ExecutionResult, json: boolean): number {
  if (result.status !== 'SUCCEEDED') {
    const reason = `${result.error ?? result.status}: ${result.cause ?? 'no cause given'}`;
    if (json) io.out(JSON.stringify({ status: 'failed', execution: result.name, error: result.error, cause: result.cause }));
    io.err(`run failed, nothing committed (${reason})`);
    return ExitCode.failed;
  }
  const output = result.output ?? {};
  if (!('status' in output)) {
    // SkippedLeaseHeld ends with the state as it was: the lease result says who holds it.
    const lease = output.lease as { holder?: string } | undefined;
    if (json) io.out(JSON.stringify({ status: 'skipped', execution: result.name, holder: lease?.holder ?? null }));
    io.err(`skipped: another run holds the lease (${lease?.holder ?? 'unknown'}); nothing written`);
    return ExitCode.skipped;
  }
  const summary = output as unknown as RunSummary;
  io.out(json ? JSON.stringify(summary) : humanSummary(summary));
  return ExitCode.ok;
}

export function humanSummary(s: RunSummary): string {
  if (s.status === 'nothing_to_do') return 'nothing to do: no new raw objects';
  const reasons = Object.entries(s.quarantined_by_reason).map(([r, n]) => `${r} ${n}`).join(', ');
  return [
    `batch ${s.batch_id} (${s.mode}${s.resumed ? ', resumed' : ''}) committed at ${s.committed_at ?? '?'}`,
    `  objects read         ${s.objects_read}`,
    `  lines read           ${s.lines_read}`,
    `  inserted             ${s.inserted}  (${s.partitions} partitions, ${s.merge_groups} merge groups)`,
    `  duplicates in batch  ${s.duplicates_in_batch}`,
    `  duplicates existing  ${s.duplicates_existing}`,
    `  quarantined          ${s.quarantined}${reasons ? `  (${reasons})` : ''}`,
    `  blank lines          ${s.blank_lines}`,
    `  lessons enriched     ${s.enriched}  (no account ${s.no_account}, no subscription ${s.no_subscription})`,
    ...(s.backlog_objects > 0 ? [`  left for next batch  ${s.backlog_objects} raw objects (batch cap)`] : []),
  ].join('\n');
}
