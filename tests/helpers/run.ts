import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ExecutionResult } from '../../src/ports/orchestrator';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { queryLake } from '../../src/cli/commands/query';
import { LocalOrchestrator, type LocalOrchestratorOptions } from '../../src/runtime/local-orchestrator';
import type { LocalLake } from '../../src/runtime/local-lake';
import { STATE_BINDINGS } from '../../src/workflow/registry';

let n = 0;

export async function runScheduled(lake: LocalLake, options: LocalOrchestratorOptions = {}): Promise<ExecutionResult> {
  return new LocalOrchestrator(lake, { retryIntervalOverrides: noRetryWait(), ...options }).execute({ name: `test-run-${++n}`, input: { mode: 'scheduled' } });
}

/** Runs one scheduled batch and returns its summary, failing the test when the run did not succeed. */
export async function runOk(lake: LocalLake): Promise<RunSummary> {
  const result = await runScheduled(lake);
  if (result.status !== 'SUCCEEDED') throw new Error(`run failed: ${result.error}: ${result.cause}`);
  return result.output as unknown as RunSummary;
}

export async function backfillOk(lake: LocalLake, from: string, to: string): Promise<RunSummary> {
  const result = await new LocalOrchestrator(lake).execute({ name: `test-backfill-${++n}`, input: { mode: 'backfill', from, to } });
  if (result.status !== 'SUCCEEDED') throw new Error(`backfill failed: ${result.error}: ${result.cause}`);
  return result.output as unknown as RunSummary;
}

/** The conservation law a committed summary must satisfy. */
export function expectBalanced(s: RunSummary): void {
  expect(s.inserted + s.duplicates_in_batch + s.duplicates_existing + s.quarantined + s.already_quarantined + s.blank_lines + s.erased).toBe(s.lines_read);
}

/** Every curated row, all columns, in a stable order. */
export async function curatedRows(lake: LocalLake): Promise<Record<string, unknown>[]> {
  return queryLake(lake, 'SELECT * FROM events ORDER BY event_uuid');
}

/** Path and SHA-256 of every file under curated/events/: equal fingerprints mean a byte-identical table. */
export async function curatedFingerprint(lake: LocalLake): Promise<string[]> {
  const out: string[] = [];
  for await (const o of lake.objects.list('curated/events/')) {
    out.push(`${o.key} ${createHash('sha256').update(await readFile(lake.objects.uri(o.key))).digest('hex')}`);
  }
  return out;
}

/** Retry waits of 0 ms for every Task state, so error-path tests do not sleep through the ASL's backoff. */
export function noRetryWait(): Record<string, number> {
  return Object.fromEntries(Object.keys(STATE_BINDINGS).map((name) => [name, 0]));
}
