import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { BatchMode, ExecutionResult, ExecutionStatus, Orchestrator, ExecutionRequest } from '../../ports/orchestrator';

export interface StepFunctionsOrchestratorOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  /** Time between DescribeExecution polls. @default 5000 */
  readonly pollIntervalMs?: number;
  /** Give up polling (the execution keeps running) after this long. @default 2 hours */
  readonly timeoutMs?: number;
  readonly progress?: (message: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

const TERMINAL: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * The Orchestrator port on AWS: StartExecution with a deterministic name, then poll. An execution that
 * already exists under that name is the same request made before, so it is followed, not restarted.
 */
export class StepFunctionsOrchestrator implements Orchestrator {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: StepFunctionsOrchestratorOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const { client, stateMachineArn } = this.options;
    const progress = this.options.progress ?? (() => undefined);
    let executionArn: string;
    try {
      const started = await client.send(
        new StartExecutionCommand({ stateMachineArn, name: request.name, input: JSON.stringify(request.input) }),
      );
      executionArn = started.executionArn as string;
      progress(`started ${request.name}`);
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      executionArn = executionArnFor(stateMachineArn, request.name);
      progress(`${request.name} already exists: following it instead of starting it again`);
    }

    const deadline = Date.now() + (this.options.timeoutMs ?? 2 * 3_600_000);
    for (;;) {
      const described = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status && TERMINAL.has(described.status)) return toResult(request.name, described);
      if (Date.now() > deadline) {
        throw new Error(`${request.name} still ${described.status ?? 'unknown'} after the polling timeout; it keeps running: ${executionArn}`);
      }
      progress(`${request.name}: ${described.status ?? 'unknown'}`);
      await this.sleep(this.options.pollIntervalMs ?? 5000);
    }
  }
}

/** arn:aws:states:r:a:stateMachine:NAME -> arn:aws:states:r:a:execution:NAME:EXECUTION */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') throw new RangeError(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}

function toResult(name: string, d: DescribeExecutionCommandOutput): ExecutionResult {
  const status = d.status as ExecutionStatus;
  return {
    name,
    status,
    ...(d.output ? { output: JSON.parse(d.output) as Record<string, unknown> } : {}),
    ...(d.error ? { error: d.error } : status !== 'SUCCEEDED' ? { error: `States.${status}` } : {}),
    ...(d.cause ? { cause: d.cause } : {}),
  };
}

/**
 * Deterministic execution names (80 chars max, [A-Za-z0-9-_]): a scheduled run requested by hand is named
 * after the minute (`manual-`), a replay too (`replay-`), a backfill after its range, plus an optional attempt number to run it again on purpose.
 */
export function remoteExecutionName(request: { mode: BatchMode; from?: string; to?: string; at: Date; attempt?: number }): string {
  const minute = request.at.toISOString().slice(0, 16).replace(/[-:]/g, '');
  const base =
    request.mode === 'backfill'
      ? `backfill-${request.from ?? ''}-${request.to ?? ''}`
      : request.mode === 'replay'
        ? `replay-${minute}`
        : `manual-${minute}`;
  return request.attempt !== undefined && request.attempt > 1 ? `${base}-attempt-${request.attempt}` : base;
}
