/**
 * Step Functions' payload quota, which aws-local-stepfunctions does not enforce:
 *
 * "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded
 * string. This quota affects tasks (activity, Lambda function, or integrated service), state or execution
 * output, and input data when scheduling a task, entering a state, or starting an execution."
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Quotas related to task
 * executions"; 256 KiB = 262,144 bytes, the figure the history events' input/output fields carry:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html)
 *
 * Exceeding it is `States.DataLimitExceeded`, "a terminal error that can't be caught by the States.ALL
 * error type", reported when "the output of a connector is larger than payload size quota", "the output
 * of a state is larger than payload size quota" or "after Parameters processing, the input of a state is
 * larger than the payload size quota" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 *
 * Two meters: `wrapTask` wraps a Task's local handler (its input is the state's input after Parameters,
 * its output the connector's output) and throws the terminal error there, as Step Functions fails the
 * task; `consume` reads an execution's event log and records every state input / output and the
 * execution's own input / output, with each violation (an observer cannot fail the execution: the runner
 * asserts `violations` is empty).
 */

export const STATES_PAYLOAD_LIMIT_BYTES = 262_144;

/** The UTF-8 size of a value as the JSON text Step Functions carries (`undefined` is JSON null). */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/**
 * Terminal: not retried, not caught (`isRetryable` / `isCatchable` are read by aws-local-stepfunctions'
 * Retry and Catch matching), so the execution fails with this error as Step Functions' would.
 */
export class DataLimitExceededError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(
    readonly state: string,
    readonly direction: 'input' | 'output',
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `The ${direction} of ${state} is ${bytes} bytes of UTF-8 JSON, over the ${limitBytes}-byte (256 KiB) Step Functions payload quota`,
    );
    this.name = 'States.DataLimitExceeded';
  }
}

export interface PayloadSample {
  /** The state (or `(execution)`) the payload belongs to. */
  readonly state: string;
  readonly direction: 'input' | 'output';
  readonly bytes: number;
  /** Where it was measured: a wrapped task handler, or the execution's event log. */
  readonly source: 'task' | 'event';
  /** The Map iteration, when the state ran inside one. */
  readonly index?: number;
}

/** The event-log events the meter reads (aws-local-stepfunctions' EventLog, structurally). */
export interface StateMachineEvent {
  readonly type: string;
  readonly index?: number;
  readonly state?: { readonly name: string; readonly input?: unknown; readonly output?: unknown };
  readonly input?: unknown;
  readonly output?: unknown;
}

export const EXECUTION = '(execution)';

export class PayloadMeter {
  readonly limitBytes: number;
  private readonly samples: PayloadSample[] = [];
  private readonly over: PayloadSample[] = [];

  constructor(options: { readonly limitBytes?: number } = {}) {
    this.limitBytes = options.limitBytes ?? STATES_PAYLOAD_LIMIT_BYTES;
  }

  /**
   * Wraps a Task state's local handler: its input and output are measured; either over the quota throws
   * `States.DataLimitExceeded` (an oversized input before the handler runs).
   */
  wrapTask<I, O>(name: string, handler: (input: I) => O | Promise<O>): (input: I) => Promise<O> {
    return async (input: I): Promise<O> => {
      this.measure({ state: name, direction: 'input', bytes: payloadBytes(input), source: 'task' }, true);
      const output = await handler(input);
      this.measure({ state: name, direction: 'output', bytes: payloadBytes(output), source: 'task' }, true);
      return output;
    };
  }

  /** Wraps every handler of an aws-local-stepfunctions `taskResourceLocalHandlers` map. */
  wrapTasks<H extends Record<string, (input: never) => unknown>>(handlers: H): H {
    return Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => [
        name,
        this.wrapTask(name, handler as (input: unknown) => unknown),
      ]),
    ) as unknown as H;
  }

  /** Reads an execution's `eventLogs` to its end, measuring every state's input and output. */
  async consume(events: AsyncIterable<StateMachineEvent>): Promise<void> {
    for await (const event of events) {
      const index = event.index !== undefined ? { index: event.index } : {};
      switch (event.type) {
        case 'ExecutionStarted':
          this.measure(
            { state: EXECUTION, direction: 'input', bytes: payloadBytes(event.input), source: 'event' },
            false,
          );
          break;
        case 'ExecutionSucceeded':
          this.measure(
            { state: EXECUTION, direction: 'output', bytes: payloadBytes(event.output), source: 'event' },
            false,
          );
          break;
        case 'StateEntered':
          if (event.state !== undefined) {
            this.measure(
              {
                state: event.state.name,
                direction: 'input',
                bytes: payloadBytes(event.state.input),
                source: 'event',
                ...index,
              },
              false,
            );
          }
          break;
        case 'StateExited':
          if (event.state !== undefined) {
            this.measure(
              {
                state: event.state.name,
                direction: 'output',
                bytes: payloadBytes(event.state.output),
                source: 'event',
                ...index,
              },
              false,
            );
          }
          break;
        default:
          break;
      }
    }
  }

  /** Every payload over the quota, in the order seen. */
  get violations(): readonly PayloadSample[] {
    return this.over;
  }

  get largestInput(): PayloadSample | undefined {
    return this.largest('input');
  }

  get largestOutput(): PayloadSample | undefined {
    return this.largest('output');
  }

  /** The largest input and output seen per state. */
  largestByState(): Map<string, { input?: PayloadSample; output?: PayloadSample }> {
    const byState = new Map<string, { input?: PayloadSample; output?: PayloadSample }>();
    for (const sample of this.samples) {
      const entry = byState.get(sample.state) ?? {};
      const current = entry[sample.direction];
      if (current === undefined || sample.bytes > current.bytes) entry[sample.direction] = sample;
      byState.set(sample.state, entry);
    }
    return byState;
  }

  private largest(direction: 'input' | 'output'): PayloadSample | undefined {
    let best: PayloadSample | undefined;
    for (const sample of this.samples) {
      if (sample.direction === direction && (best === undefined || sample.bytes > best.bytes)) best = sample;
    }
    return best;
  }

  private measure(sample: PayloadSample, enforce: boolean): void {
    this.samples.push(sample);
    if (sample.bytes <= this.limitBytes) return;
    this.over.push(sample);
    if (enforce)
      throw new DataLimitExceededError(sample.state, sample.direction, sample.bytes, this.limitBytes);
  }
}
