import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { BatchMode, ExecutionResult } from '../../ports/orchestrator';
import type { RunSummary } from '../../pipeline/run-summary';
import { errorReport, humanReport, reportWithoutCounts, runReport, type RunReport } from '../run-report';
import { LocalOrchestrator } from '../../runtime/local-orchestrator';
import { haltSliceWorkers } from '../../runtime/worker-pool';
import type { LocalLake } from '../../runtime/local-lake';
import { ExitCode, type CliIo } from '../io';
import { sweepOrphanTempFiles } from '../../adapters/local/temp-sweep';
import { checkpointName } from '../../pipeline/plan-batch';

/** Where the pipeline writes in a lake (raw/ is the producers'). */
const LAKE_WRITE_FOLDERS = ['state', 'staging', 'quarantine', 'replays', 'curated', 'runs'];

export interface RunRequest {
  readonly mode: BatchMode;
  readonly from?: string;
  readonly to?: string;
  /** Backfill: continue the range after this raw key; replay: after this quarantine object. */
  readonly after?: string;
  /** Replay: only records of this reason; the documented fix to apply (src/contract/replay-transforms.ts). */
  readonly reason?: string;
  readonly transform?: string;
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
  if (request.reason !== undefined) input.reason = request.reason;
  if (request.transform !== undefined) input.transform = request.transform;
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
  const stop = releaseOnSignal(io, lake, () => current, request.mode, json);
  try {
    for (;;) {
      current = executionName(lake, next.mode);
      let result: ExecutionResult;
      try {
        result = await executeRun(lake, next, current);
      } catch (error) {
        return { code: reportError(io, error, request.mode, current, json) };
      }
      const code = reportRun(io, result, json, request.mode);
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
 * Ctrl-C or SIGTERM during a run: stop the slice workers (killed, and gone before anything else: no file of
 * the lake is written after this process exits), release the lease the running execution holds (so the next
 * run need not wait for its expiry), say which batch stays pending, and exit 130 / 143. Files a killed state
 * was writing are rewritten whole when the batch resumes.
 */
function releaseOnSignal(io: CliIo, lake: LocalLake, owner: () => string | undefined, mode: BatchMode, json: boolean): () => void {
  const handler = (signal: NodeJS.Signals) => {
    void (async () => {
      await haltSliceWorkers();
      const name = owner();
      const released = name === undefined ? false : await lake.state.releaseLease(lake.config.pipelineName, name).catch(() => false);
      const checkpoint = await lake.state.getCheckpoint(checkpointName(lake, mode)).catch(() => undefined);
      const pending = checkpoint?.pending ? `; batch ${checkpoint.pending.batchId} stays pending: the next run resumes it` : '';
      const cause = `${released ? 'lease released' : 'no lease held'}${pending}`;
      if (json) io.out(JSON.stringify(reportWithoutCounts('interrupted', mode, name ?? null, { error: signal, cause })));
      io.err(`interrupted by ${signal}: ${cause}`);
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

/**
 * Prints the report (stdout: one JSON line with --json, else the human summary; failures and skips on stderr)
 * and returns the exit code: 0 committed or nothing to do, 3 skipped, 1 failed.
 */
export function reportRun(io: CliIo, result: ExecutionResult, json: boolean, mode: RunReport['mode']): number {
  const report = runReport(result, mode);
  if (json) io.out(JSON.stringify(report));
  switch (report.status) {
    case 'committed':
    case 'nothing_to_do':
      if (!json) io.out(humanReport(report));
      return ExitCode.ok;
    case 'skipped':
      io.err(`skipped: another run holds the lease (${report.lease_holder ?? 'unknown'}); nothing written`);
      return ExitCode.skipped;
    default:
      io.err(`run failed, nothing committed (${report.error ?? 'failed'}: ${report.cause ?? 'no cause given'})`);
      return ExitCode.failed;
  }
}

/** An execution that threw before it had a result (AWS SDK error, local crash): the failed report, exit 1. */
export function reportError(io: CliIo, error: unknown, mode: RunReport['mode'], execution: string | null, json: boolean): number {
  const report = errorReport(error, mode, execution);
  if (json) io.out(JSON.stringify(report));
  io.err(`run failed, nothing committed (${report.error ?? 'Error'}: ${report.cause ?? 'no cause given'})`);
  return ExitCode.failed;
}
