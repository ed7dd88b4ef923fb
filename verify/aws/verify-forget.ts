import { installPromiseWithResolvers } from '../../src/runtime/polyfill';
installPromiseWithResolvers();

import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { generate } from '../../src/generator/generate';
import { readErasure, type ErasureRecord } from '../../src/pipeline/erasure-log';
import type { ForgetSummary } from '../../src/pipeline/forget-execution';
import type { RunSummary } from '../../src/pipeline/run-summary';
import type { CfnTemplate, FakeEnvironment, Grant, RecordedCall } from '../template';
import type { FakeAccount } from './fake-account';
import { machineRoles, withMachineProof } from './machine-proof';

/** Tasks only the forget runs (AcquireLease is the micro-batch's own, proven by verify-aws). */
const FORGET_ONLY_TASKS: readonly string[] = ['begin-forget', 'finish-forget'];

/** The roles only the forget uses: its state machine's and its own Lambdas'. verify-aws leaves them to this proof. */
export function forgetRoles(template: CfnTemplate, assetDir: string, env: Partial<FakeEnvironment>): Set<string> {
  return machineRoles(template, assetDir, env, 'forget', FORGET_ONLY_TASKS);
}

export interface VerifyForgetReport {
  readonly summary: ForgetSummary;
  /** The erasure record after the forget (named by the salted hash; the id is in no field). */
  readonly record: ErasureRecord | undefined;
  /** The forgotten user's rows in events_all_batches: before the forget, after it, after a later backfill. */
  readonly user_rows: readonly [number, number, number];
  /** The user's items in the user-state table: before the forget, after it, after the backfill (which must rebuild none). */
  readonly user_state_items: readonly [number, number, number];
  /** Everyone else's rows: before the forget and after the backfill (the forget and the backfill change none). */
  readonly other_rows: readonly [number, number];
  /** The backfill of the same days after the forget. */
  readonly backfill: RunSummary;
  /** Every statement the forget ran in Athena, in order (`STATE query`). */
  readonly statements: readonly string[];
  readonly aws_calls: number;
  readonly iam_denied: number;
  readonly denied: readonly RecordedCall[];
  /** Grants of the forget's own roles its execution never used, unexplained by unexercised-grants.json. */
  readonly unused_grants: readonly Grant[];
}

/**
 * The offline AWS proof of the forget state machine: the synthesized app's micro-batch commits a batch, the
 * rendered forget definition erases its busiest user against the same fakes (each Lambda its real entry
 * point, each Athena statement judged by the Athena fake: DELETE on Iceberg tables only, no execution
 * parameters), then a backfill of the same days runs and must bring none of the user's rows back. Every call
 * the forget made is judged against the template's IAM.
 */
export async function verifyForget(options: { readonly events: number; readonly progress?: (m: string) => void }): Promise<VerifyForgetReport> {
  const progress = options.progress ?? (() => undefined);
  return withMachineProof('forget', FORGET_ONLY_TASKS, async ({ account, raw, runMicrobatch, runMachine, judge }) => {
    const hour = Math.floor(Date.now() / 3_600_000);
    const start = new Date((hour - 3) * 3_600_000);
    await generate(raw, { events: options.events, hours: 2, seed: 11, start });
    progress('micro-batch: one committed batch');
    const committed = (await runMicrobatch('verify-forget-1', { mode: 'scheduled' })).output as unknown as RunSummary;
    if (committed.status !== 'committed') throw new Error(`the run did not commit: ${JSON.stringify(committed)}`);
    const user = await busiestUser(account);
    const before = { user: await rowsOf(account, user, '='), other: await rowsOf(account, user, '<>'), state: await stateItemsOf(account, user) };

    progress('forget: the busiest user');
    const queriesBefore = account.athena.queries.length;
    const run = await runMachine('verify-forget-2', { user: user.toUpperCase() });
    const summary = run.output as unknown as ForgetSummary;
    const judgement = await judge();
    const statements = account.athena.queries.slice(queriesBefore).map((q) => `${q.state} ${q.query}`);
    const afterForget = await rowsOf(account, user, '=');
    const stateAfterForget = await stateItemsOf(account, user);

    progress('a backfill of the same days: the user must not come back');
    const day = (offset: number) => new Date(start.getTime() + offset * 3_600_000).toISOString().slice(0, 10);
    const backfill = (await runMicrobatch('verify-forget-3', { mode: 'backfill', from: day(0), to: day(3) })).output as unknown as RunSummary;
    return {
      summary,
      record: summary.user_hash === '' ? undefined : await readErasure(account.twin.deps.objects, summary.user_hash),
      user_rows: [before.user, afterForget, await rowsOf(account, user, '=')],
      other_rows: [before.other, await rowsOf(account, user, '<>')],
      user_state_items: [before.state, stateAfterForget, await stateItemsOf(account, user)],
      backfill,
      statements,
      aws_calls: judgement.calls.length,
      iam_denied: judgement.iam_denied,
      denied: judgement.denied,
      unused_grants: judgement.unused_grants,
    };
  });
}

/** The user with the most curated rows. */
async function busiestUser(account: FakeAccount): Promise<string> {
  const deps = account.twin.deps;
  const [row] = await deps.sql.query<{ user_uuid: string }>({
    name: 'verify/busiest_user',
    text: `SELECT user_uuid FROM ${await deps.sources.curatedSource()} WHERE user_uuid IS NOT NULL GROUP BY user_uuid ORDER BY count(*) DESC, user_uuid LIMIT 1`,
  });
  if (row === undefined) throw new Error('no curated row has a user_uuid: nobody to forget');
  return row.user_uuid;
}

/** Curated rows whose user_uuid is (`=`) or is not (`<>`, rows without a user included) the user's. */
async function rowsOf(account: FakeAccount, user: string, op: '=' | '<>'): Promise<number> {
  const deps = account.twin.deps;
  const where = op === '=' ? 'user_uuid = ?' : 'user_uuid IS DISTINCT FROM ?';
  const [row] = await deps.sql.query<{ n: number }>({ name: 'verify/user_rows', text: `SELECT CAST(count(*) AS INTEGER) AS n FROM ${await deps.sources.curatedSource()} WHERE ${where}` }, [user]);
  return Number(row?.n ?? 0);
}

/** The user's entities in the user-state table (read straight from dynalite, outside the recorded calls). */
async function stateItemsOf(account: FakeAccount, user: string): Promise<number> {
  let n = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await account.dynalite.client.send(new ScanCommand({ TableName: account.env.stateTable, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    n += (page.Items ?? []).filter((item) => (item.entity?.S ?? '').startsWith(`account#${user}`) || (item.entity?.S ?? '').startsWith(`subscription#${user}#`)).length;
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start !== undefined);
  return n;
}
