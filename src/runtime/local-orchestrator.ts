import { installPromiseWithResolvers } from './polyfill';
installPromiseWithResolvers();

import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionRequest, ExecutionResult, Orchestrator } from '../ports/orchestrator';
import type { PipelineDeps, Progress } from '../pipeline/deps';
import { EventLakeError, InvalidInputError } from '../errors';
import { athenaStateQuery, recognizeAthenaStatement } from '../workflow/athena-state-query';
import { runAthenaTwin } from './athena-twin';
import { allStates, loadAsl, type AslDefinition, type AslState } from '../workflow/asl';
import { SETTING_PLACEHOLDERS, STATE_BINDINGS } from '../workflow/registry';
import { TASK_FACTORIES, type TaskHandler } from '../../tasks/index';
import { SlicePool, type SliceTaskName, type SliceWorkerTestHooks } from './worker-pool';
import { CheckedDefinitions } from './checked-definitions';

const SLICE_STATES: Readonly<Record<string, SliceTaskName>> = { ValidateSlice: 'validate-slice', EnrichSlice: 'enrich-slice' };

type EventLogs = ReturnType<StateMachine['run']>['eventLogs'];

/**
 * The error a Map iteration's task gets when it is stopped because another iteration failed first (or
 * the execution ended). The Map has already failed with that first error, so this name is never the run's.
 */
export class IterationCancelledError extends EventLakeError {
  constructor(message: string) {
    super('EventLake.Cancelled', message);
  }
}

export interface LocalOrchestratorOptions {
  /** Milliseconds to wait before each retry, per state name (tests set 0). Default: the ASL's own backoff. */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  /** Replace a state's handler (fault-injection tests). */
  readonly handlerOverrides?: Readonly<Record<string, TaskHandler>>;
  /**
   * Worker processes for the ValidateSlice and EnrichSlice Map iterations; 0 or 1 runs them in-process.
   * Default 1 (the CLI passes the number of cores).
   */
  readonly workers?: number;
  /** Test only: fault injection inside the slice worker processes (see SliceWorkerTestHooks). */
  readonly sliceWorkerTestHooks?: SliceWorkerTestHooks;
  /** Where definitions that passed the interpreter's check are remembered (default: DEFAULT_CHECKED_DEFINITIONS_DIR). */
  readonly checkedDefinitionsDir?: string;
}

/** The Glue database name the local runtime gives its Athena states (their text is recognised back). */
export const LOCAL_DATABASE = 'eventlake_local';

/** Substitutions for running the ASL in-process: local ARNs and names, the Athena states' real text. */
export function localSubstitutions(): Record<string, string> {
  const subs: Record<string, string> = {};
  for (const binding of Object.values(STATE_BINDINGS)) {
    subs[binding.placeholder] =
      binding.kind === 'lambda'
        ? `arn:aws:lambda:us-east-1:000000000000:function:eventlake-local-${binding.task}`
        : athenaStateQuery(binding, LOCAL_DATABASE);
  }
  for (const name of SETTING_PLACEHOLDERS) subs[name] = LOCAL_DATABASE;
  return subs;
}

/**
 * Runs state-machines/microbatch.asl.json in-process with aws-local-stepfunctions: each Task state is
 * bound through the registry to its task handler (lambda) or its DuckDB counterpart (athena).
 */
export class LocalOrchestrator implements Orchestrator {
  private readonly definition: AslDefinition;
  private readonly handlers: Record<string, TaskHandler>;
  /** Task states that run inside Map iterations (ValidateSlice, EnrichSlice, MergeGroup). */
  private readonly iterationStates: readonly string[];
  /** Top-level Map states whose iterations run slice tasks on the worker threads (ValidateSlices, EnrichSlices). */
  private readonly sliceMaps: ReadonlySet<string>;
  /** The interpreter's state machine (stateMachine()). */
  private machine: StateMachine | undefined;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: LocalOrchestratorOptions = {},
  ) {
    this.definition = loadAsl(localSubstitutions());
    this.handlers = {};
    for (const [stateName, binding] of Object.entries(STATE_BINDINGS)) {
      this.handlers[stateName] =
        options.handlerOverrides?.[stateName] ??
        (binding.kind === 'lambda' ? TASK_FACTORIES[binding.task](deps) : (event) => this.runAthenaState(event));
    }
    // Task states inside Map iterators: every Task state but the top-level ones.
    this.iterationStates = [...allStates(this.definition)]
      .filter(([name, state]) => state.Type === 'Task' && !(name in this.definition.States))
      .map(([name]) => name);
    this.sliceMaps = new Set(
      Object.entries(this.definition.States as Record<string, AslState>)
        .filter(([, state]) => Object.keys((state.ItemProcessor as { States?: object } | undefined)?.States ?? {}).some((name) => name in SLICE_STATES))
        .map(([name]) => name),
    );
  }

  /**
   * Runs one execution. aws-local-stepfunctions fails a Map at its first failed iteration and aborts the
   * others, but it cannot stop their task handlers, and a handler left pending keeps its Task's timer
   * (TimeoutSeconds, 900 s for the slices) and so the process alive. Here the first MapIterationFailed
   * event cancels the run's iteration work (every Map failure ends the run: its Catch goes to
   * ReleaseLeaseAfterFailure -> RunFailed, tests/runtime/cancellation.test.ts): worker threads are
   * terminated, their requests and every in-process task still awaited are rejected, and iterations not
   * started yet are refused. execute() returns once all of that has settled, with the original failure.
   * In-process handlers (workers <= 1, handler overrides, MergeGroup's DuckDB statement) cannot be
   * killed: the run stops waiting for them and they finish in the background, their results ignored.
   */
  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const workers = this.options.workers ?? 1;
    const handlers = { ...this.handlers };
    const killable = new Set<string>();
    let pool: SlicePool | undefined;
    if (workers > 1) {
      const root = this.deps.objects.uri('').replace(/\/$/, '');
      const slicePool = new SlicePool(workers, root, this.deps.config, this.deps.progress, this.options.sliceWorkerTestHooks);
      pool = slicePool;
      for (const [state, task] of Object.entries(SLICE_STATES)) {
        if (this.options.handlerOverrides?.[state]) continue;
        handlers[state] = (event) => slicePool.run(task, event);
        killable.add(state);
      }
      // Booting (~0.3-0.45 s) while the lease and plan run, and the interpreter checks the definition when this
      // machine has not seen it pass (~0.5 s), the processes are ready sooner for the first slice Map. A run
      // with nothing to read pays their start for nothing; the pool ends them with the run.
      if (killable.size > 0) slicePool.warm();
    }
    const iterations = new IterationWork(this.deps.progress, pool);
    for (const state of this.iterationStates) {
      const handler = handlers[state];
      if (handler) handlers[state] = iterations.guard(handler, killable.has(state));
    }
    try {
      return await this.executeWith(request, handlers, iterations, pool);
    } finally {
      // Whatever iteration work is left (an execution that timed out, say) stops with the execution.
      iterations.cancel(new IterationCancelledError('the execution ended'));
      await iterations.settled();
      await pool?.close();
    }
  }

  private async executeWith(
    request: ExecutionRequest,
    handlers: Record<string, TaskHandler>,
    iterations: IterationWork,
    pool: SlicePool | undefined,
  ): Promise<ExecutionResult> {
    const execution = this.stateMachine().run(request.input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(this.options.retryIntervalOverrides ? { retryIntervalOverrides: { ...this.options.retryIntervalOverrides } } : {}),
      },
      context: {
        Execution: {
          Id: `arn:aws:states:local:000000000000:execution:eventlake:${request.name}`,
          Name: request.name,
          StartTime: this.deps.clock.now().toISOString(),
          Input: request.input as never,
        },
      },
    });
    void this.watch(execution.eventLogs, iterations, pool);
    try {
      const output = (await execution.result) as Record<string, unknown>;
      return { name: request.name, status: 'SUCCEEDED', output };
    } catch (error) {
      if (error instanceof ExecutionError) {
        const cause = error.cause as { name?: string; message?: string } | undefined;
        return { name: request.name, status: 'FAILED', error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? error.message };
      }
      if (error instanceof Error && error.name === 'ExecutionTimeoutError') {
        return { name: request.name, status: 'TIMED_OUT', error: 'States.Timeout', cause: error.message };
      }
      throw error;
    }
  }

  /**
   * The interpreter's state machine, made on the first execution; every run() is an execution of its own. Its
   * definition is checked (asl-validator, with ARNs and paths) unless this machine already saw it pass
   * (checked-definitions.ts), as AWS checks a definition when the state machine is created, not per execution.
   */
  private stateMachine(): StateMachine {
    if (this.machine) return this.machine;
    const checked = new CheckedDefinitions(this.options.checkedDefinitionsDir);
    // Hashed before the check, which fills in defaults (QueryLanguage) on the states.
    const marker = checked.markerOf(this.definition);
    const known = checked.has(marker);
    this.machine = new StateMachine(this.definition as unknown as StateMachineDefinition, {
      validationOptions: known ? { noValidate: true } : { checkArn: true, checkPaths: true },
    });
    if (!known) checked.remember(marker);
    return this.machine;
  }

  /**
   * A native Athena state (athena:startQueryExecution.sync): the same Parameters as on AWS, the QueryString
   * formatted by the interpreter; recognised as one of sql/athena/*.sql and run as its DuckDB counterpart.
   * Like Athena, it refuses ExecutionParameters on statements that cannot take them (ours never send any)
   * and a ClientRequestToken outside 32-128 characters
   * (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html).
   */
  private async runAthenaState(event: unknown): Promise<unknown> {
    const { QueryString, ClientRequestToken, ExecutionParameters } = event as Record<string, unknown>;
    if (typeof QueryString !== 'string') throw new InvalidInputError('Athena state: QueryString must be a string');
    const statement = recognizeAthenaStatement(QueryString, LOCAL_DATABASE);
    if (statement === undefined) throw new InvalidInputError(`Athena state: not one of sql/athena/*.sql: ${QueryString.slice(0, 200)}`);
    if (ExecutionParameters !== undefined) {
      throw new InvalidInputError(`Athena state ${statement.name}: ExecutionParameters are not accepted for this statement`);
    }
    if (ClientRequestToken !== undefined && (typeof ClientRequestToken !== 'string' || ClientRequestToken.length < 32 || ClientRequestToken.length > 128)) {
      throw new InvalidInputError(`Athena state ${statement.name}: ClientRequestToken must be 32-128 characters`);
    }
    await runAthenaTwin(this.deps, statement);
    return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
  }

  /** Reports progress from the execution's event log; the first failed Map iteration cancels the others. */
  private async watch(logs: EventLogs, iterations: IterationWork, pool: SlicePool | undefined) {
    try {
      for await (const event of logs) {
        if (event.type === 'MapIterationFailed') {
          iterations.cancel(
            new IterationCancelledError(`${event.parentState.name} iteration ${event.index} failed first (${event.Error})`),
            `${event.parentState.name} iteration ${event.index} failed (${event.Error})`,
          );
        }
        if (event.type === 'StateRetried') this.deps.progress(`retrying ${event.state.name}`);
        if (event.type === 'StateEntered' && event.index === undefined) {
          this.deps.progress(`→ ${event.state.name}`);
          // After the slice Maps the worker processes are ended, their memory freed for DuckDB's states.
          if (!this.sliceMaps.has(event.state.name)) void pool?.release();
        }
      }
    } catch {
      // The event log ends with the execution; its errors are reported by execute().
    }
  }
}

/** Resolves after the promise reactions already due have run (they never need a timer or I/O). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The task calls of one execution's Map iterations, so they can be stopped together. The interpreter's
 * events and the Map's failure travel by promise reactions only, so a handler that waits one turn of the
 * event loop (`nextTurn`) before it starts sees a failure that happened before it was called, and a
 * rejection delayed by one turn reaches the Map after the failure that caused it.
 */
class IterationWork {
  private reason: Error | undefined;
  /** Guarded calls not settled yet (waiting for their turn, or running). */
  private readonly calls = new Set<Promise<unknown>>();
  /** Running calls: how to reject each, and whether its work is killed with the pool (worker) or not. */
  private readonly running = new Map<(error: Error) => void, { readonly killable: boolean }>();

  constructor(
    private readonly progress: Progress,
    private readonly pool: SlicePool | undefined,
  ) {}

  guard(handler: TaskHandler, killable: boolean): TaskHandler {
    return (event) => {
      const call = this.call(handler, event, killable);
      this.calls.add(call);
      const forget = () => this.calls.delete(call);
      call.then(forget, forget);
      return call;
    };
  }

  /** Stops the iteration work: refuses new calls, rejects running ones, terminates the pool's threads. */
  cancel(reason: Error, why = reason.message): void {
    if (this.reason) return;
    this.reason = reason;
    void nextTurn().then(() => {
      const running = [...this.running.values()];
      if (running.length > 0) {
        const inProcess = running.filter((r) => !r.killable).length;
        const background = inProcess > 0 ? `; ${inProcess} in-process task(s) cannot be stopped: they finish in the background, ignored` : '';
        this.progress(`cancelling ${running.length} Map iteration task(s): ${why}${background}`);
      }
      for (const reject of this.running.keys()) reject(reason);
      this.running.clear();
      void this.pool?.abort(reason);
    });
  }

  /** Resolves once every guarded call has settled, those that were refused after a cancel included. */
  async settled(): Promise<void> {
    do {
      await Promise.allSettled([...this.calls]);
      // A refused iteration lets the Map's concurrency limit start the next one: wait for it too.
      await nextTurn();
    } while (this.calls.size > 0);
  }

  private async call(handler: TaskHandler, event: unknown, killable: boolean): Promise<unknown> {
    await nextTurn();
    if (this.reason) throw this.reason;
    return new Promise((resolve, reject) => {
      this.running.set(reject, { killable });
      const done = () => this.running.delete(reject);
      void Promise.resolve()
        .then(() => handler(event))
        .then(resolve, reject)
        .finally(done);
    });
  }
}
