import { installPromiseWithResolvers } from '../../src/runtime/polyfill';
installPromiseWithResolvers();

import { join } from 'node:path';
import { FolderObjectStore } from '../../src/adapters/local/folder-object-store';
import { generate } from '../../src/generator/generate';
import type { CompactionSummary } from '../../src/pipeline/compaction';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { Layout } from '../../src/ports/layout';
import { PayloadMeter } from '../fakes/payload-meter';
import {
  evaluateCalls,
  lambdaFunctions,
  loadUnexercisedGrants,
  renderStateMachine,
  resolverFor,
  synthesizeForVerify,
  unusedGrants,
  type CfnTemplate,
  type FakeEnvironment,
  type Grant,
  type RecordedCall,
} from '../template';
import { FakeAccount } from './fake-account';
import { execute, recordedCalls, taskHandlers } from './verify-aws';

/** Tasks only the compaction runs (AcquireLease is the micro-batch's own, proven by verify-aws). */
const COMPACTION_ONLY_TASKS: readonly string[] = ['plan-compaction', 'prune-staging', 'finish-compaction'];

/** The roles only the compaction uses: its state machine's and its own Lambdas'. verify-aws leaves them to this proof. */
export function compactionRoles(template: CfnTemplate, assetDir: string, env: Partial<FakeEnvironment>): Set<string> {
  const roles = new Set(lambdaFunctions(template, env).filter((l) => COMPACTION_ONLY_TASKS.includes(l.task)).map((l) => l.roleLogicalId));
  roles.add(renderStateMachine(template, assetDir, { env, machine: 'compaction' }).roleLogicalId);
  return roles;
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
  const synth = synthesizeForVerify('dev');
  const env = { stackName: synth.stackName };
  const template = synth.template;
  const microbatch = renderStateMachine(template, synth.assetDir, { env, machine: 'microbatch' });
  const compaction = renderStateMachine(template, synth.assetDir, { env, machine: 'compaction' });
  const lambdas = lambdaFunctions(template, env);
  const first = lambdas[0];
  if (first === undefined) throw new Error('the template has no task functions');
  const account = await FakeAccount.open(resolverFor(template, env), first.environment);
  const savedEnv = { ...process.env };
  try {
    const raw = new FolderObjectStore(join(account.s3Root, account.env.rawBucket));
    const hour = Math.floor(Date.now() / 3_600_000);
    // Yesterday's traffic (what the compaction rewrites), arriving within the scheduled run's lookback.
    await generate(raw, { events: options.events, hours: 2, seed: 7, start: new Date((hour - 3) * 3_600_000) });
    Object.assign(process.env, { AWS_REGION: account.recorder.scope.region, AWS_ACCESS_KEY_ID: 'verify-aws', AWS_SECRET_ACCESS_KEY: 'verify-aws', ...first.environment });
    account.install();
    const meter = new PayloadMeter();
    const batchHandlers = meter.wrapTasks(await taskHandlers(microbatch, lambdas, account));
    progress('micro-batch: one committed batch');
    const committed = (await execute(microbatch, batchHandlers, meter, 'verify-compaction-1', { mode: 'scheduled' })).output as unknown as RunSummary;
    if (committed.status !== 'committed' || committed.batch_id === null) throw new Error(`the first run did not commit: ${JSON.stringify(committed)}`);
    progress('micro-batch: a batch left in flight (its MERGE keeps failing)');
    await generate(raw, { events: Math.max(10, Math.floor(options.events / 4)), hours: 1, seed: 8, start: new Date((hour - 1) * 3_600_000) });
    for (let i = 0; i < 4; i++) account.athena.failNext(/^MERGE INTO/, { reason: 'ICEBERG_COMMIT_ERROR: injected by verify:compaction' });
    await execute(microbatch, batchHandlers, meter, 'verify-compaction-2', { mode: 'scheduled' }, true);
    const inFlight = await inFlightBatch(account, committed.batch_id);

    const before = { committed: await stagingCount(account, committed.batch_id), inFlight: await stagingCount(account, inFlight), rows: await curatedRows(account) };
    const callsBefore = account.recorder.calls.length;
    const queriesBefore = account.athena.queries.length;
    progress('compaction: OPTIMIZE each partition, VACUUM, prune committed batches');
    const handlers = meter.wrapTasks(await taskHandlers(compaction, lambdas, account));
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const run = await execute(compaction, handlers, meter, 'verify-compaction-3', { from: yesterday, to: today, prune_after_days: 0 } as never);
    account.uninstall();
    const summary = run.output as unknown as CompactionSummary;
    const calls = recordedCalls(account.recorder.calls.slice(callsBefore));
    const evaluation = await evaluateCalls(template, calls, env);
    const own = compactionRoles(template, synth.assetDir, env);
    const unused = unusedGrants(template, calls, loadUnexercisedGrants(), env).filter((g) => own.has(g.role));
    if (meter.violations.length > 0) throw new Error(`state payloads over 256 KiB: ${JSON.stringify(meter.violations)}`);
    return {
      summary,
      aws_calls: account.recorder.calls.length - callsBefore,
      iam_denied: evaluation.denied.length,
      denied: evaluation.denied,
      unused_grants: unused,
      statements: account.athena.queries.slice(queriesBefore).map((q) => `${q.state} ${q.query}`),
      committed_batch: committed.batch_id,
      in_flight_batch: inFlight,
      staging: {
        committed: [before.committed, await stagingCount(account, committed.batch_id)],
        in_flight: [before.inFlight, await stagingCount(account, inFlight)],
      },
      curated_rows: [before.rows, await curatedRows(account)],
    };
  } finally {
    process.env = savedEnv;
    await account.close();
  }
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
