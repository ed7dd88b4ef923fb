import { installPromiseWithResolvers } from './polyfill';
installPromiseWithResolvers();

import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionRequest, ExecutionResult, Orchestrator } from '../ports/orchestrator';
import type { PipelineDeps } from '../pipeline/deps';
import { InvalidInputError } from '../errors';
import { athenaStateQuery, recognizeAthenaStatement } from './athena-state-query';
import { runAthenaTwin } from './athena-twin';
import { loadAsl, type AslDefinition } from './asl';
import { SETTING_PLACEHOLDERS, STATE_BINDINGS } from './registry';
import { TASK_FACTORIES, type TaskHandler } from './task-factories';
import { SlicePool, type SliceTaskName } from './worker-pool';

const SLICE_STATES: Readonly<Record<string, SliceTaskName>> = { ValidateSlice: 'validate-slice', EnrichSlice: 'enrich-slice' };

export interface LocalOrchestratorOptions {
  /** Milliseconds to wait before each retry, per state name (tests set 0). Default: the ASL's own backoff. */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  /** Replace a state's handler (fault-injection tests). */
  readonly handlerOverrides?: Readonly<Record<string, TaskHandler>>;
  /**
   * Worker threads for the ValidateSlice and EnrichSlice Map iterations; 0 or 1 runs them in-process.
   * Default 1 (the CLI passes the number of cores).
   */
  readonly workers?: number;
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
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const workers = this.options.workers ?? 1;
    if (workers <= 1) return this.executeWith(request, this.handlers);
    const root = this.deps.objects.uri('').replace(/\/$/, '');
    const pool = new SlicePool(workers, root, this.deps.config, this.deps.progress);
    try {
      const handlers = { ...this.handlers };
      for (const [state, task] of Object.entries(SLICE_STATES)) {
        if (!this.options.handlerOverrides?.[state]) handlers[state] = (event) => pool.run(task, event);
      }
      return await this.executeWith(request, handlers);
    } finally {
      await pool.close();
    }
  }

  private async executeWith(request: ExecutionRequest, handlers: Record<string, TaskHandler>): Promise<ExecutionResult> {
    const machine = new StateMachine(this.definition as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    const execution = machine.run(request.input as never, {
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
    void this.reportProgress(execution.eventLogs);
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

  private async reportProgress(logs: AsyncGenerator<{ type: string; state?: { name: string }; index?: number; Error?: string }>) {
    try {
      for await (const event of logs) {
        if (event.type === 'StateRetried' && event.state) this.deps.progress(`retrying ${event.state.name}`);
        if (event.type === 'StateEntered' && event.state && event.index === undefined) this.deps.progress(`→ ${event.state.name}`);
      }
    } catch {
      // The event log ends with the execution; its errors are reported by execute().
    }
  }
}
