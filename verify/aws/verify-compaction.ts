import { installPromiseWithResolvers } from '../../src/runtime/polyfill';
installPromiseWithResolvers();

import { generate } from '../../src/generator/generate';
import type { CompactionSummary } from '../../src/pipeline/compaction';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { Layout } from '../../src/ports/layout';
import type { CfnTemplate, FakeEnvironment, Grant, RecordedCall } from '../template';
import type { FakeAccount } from './fake-account';
import { machineRoles, withMachineProof } from './machine-proof';

/** Tasks only the compaction runs (AcquireLease is the micro-batch's own, proven by verify-aws). */
const COMPACTION_ONLY_TASKS: readonly string[] = ['plan-compaction', 'prune-staging', 'finish-compaction'];

/** The roles only the compaction uses: its state machine's and its own Lambdas'. verify-aws leaves them to this proof. */
export function compactionRoles(template: CfnTemplate, assetDir: string, env: Partial<FakeEnvironment>): Set<string> {
  return machineRoles(template, assetDir, env, 'compaction', COMPACTION_ONLY_TASKS);
}

export interface VerifyCompactionReport {
  readonly summary: CompactionSummary;
  /** AWS calls the compaction execution made (its Lambdas', its Athena statements', Athena's on its behalf). */
  readonly aws_calls: number;
  readonly iam_denied: number;
  readonly denied: readonly RecordedCall[];
  /** Grants of the compaction's own roles that its execution never used and unexercised-grants.json does not explain. */
  readonly unused_grants: readonly Grant[];
  /** Every statement the compaction ran in Athena, in order. */
  readonly statements: readonly string[];
  readonly committed_batch: string;
  readonly in_flight_batch: string;
  /** Staging objects of each batch before and after the compaction. */
  readonly staging: { readonly committed: readonly [number, number]; readonly in_flight: readonly [number, number] };
  /** Curated rows before and after (table maintenance changes files, never rows). */
  readonly curated_rows: readonly [number, number];
}

/**
 * The offline AWS proof of the compaction state machine: the synthesized app's micro-batch commits one batch
 * and leaves another in flight (its MERGE keeps failing), then the rendered compaction definition runs
 * against the same fakes, each Lambda its real entry point and each Athena statement judged by the Athena
 * fake (OPTIMIZE and VACUUM as Athena accepts them); every call it made is judged against the template's IAM.
 */
export async function verifyCompaction(options: { readonly events: number; readonly progress?: (m: string) => void }): Promise<VerifyCompactionReport> {
  const progress = options.progress ?? (() => undefined);
  return withMachineProof('compaction', COMPACTION_ONLY_TASKS, async ({ account, raw, runMicrobatch, runMachine, judge }) => {
    const hour = Math.floor(Date.now() / 3_600_000);
    // Yesterday's traffic (what the compaction rewrites), arriving within the scheduled run's lookback.
    await generate(raw, { events: options.events, hours: 2, seed: 7, start: new Date((hour - 3) * 3_600_000) });
    progress('micro-batch: one committed batch');
    const committed = (await runMicrobatch('verify-compaction-1', { mode: 'scheduled' })).output as unknown as RunSummary;
    if (committed.status !== 'committed' || committed.batch_id === null) throw new Error(`the first run did not commit: ${JSON.stringify(committed)}`);
    progress('micro-batch: a batch left in flight (its MERGE keeps failing)');
    await generate(raw, { events: Math.max(10, Math.floor(options.events / 4)), hours: 1, seed: 8, start: new Date((hour - 1) * 3_600_000) });
    for (let i = 0; i < 4; i++) account.athena.failNext(/^MERGE INTO/, { reason: 'ICEBERG_COMMIT_ERROR: injected by verify:compaction' });
    await runMicrobatch('verify-compaction-2', { mode: 'scheduled' }, true);
    const inFlight = await inFlightBatch(account, committed.batch_id);

    const before = { committed: await stagingCount(account, committed.batch_id), inFlight: await stagingCount(account, inFlight), rows: await curatedRows(account) };
    const queriesBefore = account.athena.queries.length;
    progress('compaction: OPTIMIZE each partition, VACUUM, prune committed batches');
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const run = await runMachine('verify-compaction-3', { from: yesterday, to: today, prune_after_days: 0 });
    const { aws_calls, iam_denied, denied, unused_grants } = await judge();
    return {
      summary: run.output as unknown as CompactionSummary,
      aws_calls,
      iam_denied,
      denied,
      unused_grants,
      statements: account.athena.queries.slice(queriesBefore).map((q) => `${q.state} ${q.query}`),
      committed_batch: committed.batch_id,
      in_flight_batch: inFlight,
      staging: {
        committed: [before.committed, await stagingCount(account, committed.batch_id)],
        in_flight: [before.inFlight, await stagingCount(account, inFlight)],
      },
      curated_rows: [before.rows, await curatedRows(account)],
    };
  });
}

/** The batch with staging but no committed marker, other than `committed`. */
async function inFlightBatch(account: FakeAccount, committed: string): Promise<string> {
  const ids = new Set<string>();
  for await (const info of account.twin.deps.objects.list('staging/batches/')) {
    const id = /^staging\/batches\/([0-9a-f]+)\//.exec(info.key)?.[1];
    if (id !== undefined && id !== committed) ids.add(id);
  }
  const pending = [];
  for (const id of ids) if (!(await account.twin.deps.objects.exists(Layout.committedMarker(id)))) pending.push(id);
  if (pending.length !== 1) throw new Error(`expected one batch in flight, found ${JSON.stringify(pending)}`);
  return pending[0] as string;
}

async function stagingCount(account: FakeAccount, batchId: string): Promise<number> {
  const keys: string[] = [];
  for (const prefix of [Layout.batch(batchId), Layout.staged(batchId)]) for await (const info of account.twin.deps.objects.list(prefix)) keys.push(info.key);
  return keys.length;
}

async function curatedRows(account: FakeAccount): Promise<number> {
  const deps = account.twin.deps;
  const [row] = await deps.sql.query<{ n: number }>({ name: 'verify/curated_rows', text: `SELECT count(*) AS n FROM ${await deps.sources.curatedSource()}` });
  return Number(row?.n);
}
