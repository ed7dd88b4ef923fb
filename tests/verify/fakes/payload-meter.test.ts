import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { installPromiseWithResolvers } from '../../../src/runtime/polyfill';
import {
  DataLimitExceededError,
  EXECUTION,
  PayloadMeter,
  STATES_PAYLOAD_LIMIT_BYTES,
  payloadBytes,
} from '../../../verify/fakes/payload-meter';

installPromiseWithResolvers();

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:eventlake-task';

/** A JSON payload of exactly `bytes` UTF-8 bytes: {"p":"éé…x"} with 2-byte characters. */
function payloadOf(bytes: number): { p: string } {
  const body = bytes - '{"p":""}'.length;
  return { p: '\u00e9'.repeat(Math.floor(body / 2)) + 'x'.repeat(body % 2) };
}

function machine(definition: object): StateMachine {
  return new StateMachine(definition as StateMachineDefinition, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
}

describe('payloadBytes', () => {
  it('counts the UTF-8 bytes of the JSON text, not UTF-16 characters', () => {
    expect(payloadBytes({ p: '\u00e9' })).toBe(10);
    expect(payloadBytes(undefined)).toBe(4);
    expect(payloadBytes(payloadOf(STATES_PAYLOAD_LIMIT_BYTES))).toBe(262_144);
  });
});

describe('PayloadMeter', () => {
  const definition = {
    StartAt: 'Plan',
    States: {
      Plan: { Type: 'Pass', Result: { batch: 'b1' }, Next: 'Work' },
      Work: {
        Type: 'Task',
        Resource: LAMBDA,
        Parameters: { 'batch.$': '$.batch', size: 1 },
        ResultPath: '$.work',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };

  describe('wrapTask', () => {
    it('measures a task handler and records its largest input and output', async () => {
      // Prepare
      const meter = new PayloadMeter();
      const output = payloadOf(1000);

      // Act
      const result = await machine(definition).run(
        {},
        {
          overrides: { taskResourceLocalHandlers: meter.wrapTasks({ Work: () => output }) },
        },
      ).result;

      // Assess
      expect(result).toMatchObject({ work: output });
      expect(meter.largestOutput).toEqual({
        state: 'Work',
        direction: 'output',
        bytes: 1000,
        source: 'task',
      });
      expect(meter.largestInput).toEqual({
        state: 'Work',
        direction: 'input',
        bytes: payloadBytes({ batch: 'b1', size: 1 }),
        source: 'task',
      });
      expect(meter.violations).toEqual([]);
    });

    it('fails the execution with States.DataLimitExceeded, past any Catch of States.ALL, for an oversized output', async () => {
      // Prepare
      const meter = new PayloadMeter();

      // Act
      const failure = await machine(definition)
        .run(
          {},
          {
            overrides: {
              taskResourceLocalHandlers: meter.wrapTasks({
                Work: () => payloadOf(STATES_PAYLOAD_LIMIT_BYTES + 1),
              }),
            },
          },
        )
        .result.catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(ExecutionError);
      expect((failure as ExecutionError).cause).toBeInstanceOf(DataLimitExceededError);
      expect(((failure as ExecutionError).cause as Error).name).toBe('States.DataLimitExceeded');
      expect(meter.violations).toEqual([
        { state: 'Work', direction: 'output', bytes: 262_145, source: 'task' },
      ]);
    });

    it('takes a payload of exactly 262,144 bytes and refuses one byte more', async () => {
      const meter = new PayloadMeter();
      const echo = meter.wrapTask('Echo', (input: unknown) => input);

      await expect(echo(payloadOf(STATES_PAYLOAD_LIMIT_BYTES))).resolves.toEqual(
        payloadOf(STATES_PAYLOAD_LIMIT_BYTES),
      );
      await expect(echo(payloadOf(STATES_PAYLOAD_LIMIT_BYTES + 1))).rejects.toBeInstanceOf(
        DataLimitExceededError,
      );
    });

    it('refuses an oversized input before the handler runs', async () => {
      const meter = new PayloadMeter();
      const handler = jest.fn(() => ({}));

      await expect(
        meter.wrapTask('Work', handler)(payloadOf(STATES_PAYLOAD_LIMIT_BYTES + 1)),
      ).rejects.toMatchObject({
        name: 'States.DataLimitExceeded',
        direction: 'input',
      });
      expect(handler).not.toHaveBeenCalled();
    });
  });

  describe('consume', () => {
    it("records every state's input and output from the event log, with each violation and its state name", async () => {
      // Prepare: a Pass state whose Result is over the quota (aws-local-stepfunctions does not enforce it).
      const meter = new PayloadMeter();
      const big = payloadOf(STATES_PAYLOAD_LIMIT_BYTES + 10);
      const execution = machine({
        StartAt: 'Small',
        States: {
          Small: { Type: 'Pass', Result: { a: 1 }, ResultPath: '$.small', Next: 'Big' },
          Big: { Type: 'Pass', Result: big, End: true },
        },
      }).run({ start: true });

      // Act
      await Promise.all([meter.consume(execution.eventLogs), execution.result]);

      // Assess
      expect(meter.violations).toEqual([
        { state: 'Big', direction: 'output', bytes: 262_154, source: 'event' },
        { state: EXECUTION, direction: 'output', bytes: 262_154, source: 'event' },
      ]);
      expect(meter.largestInput).toEqual({
        state: 'Big',
        direction: 'input',
        bytes: payloadBytes({ start: true, small: { a: 1 } }),
        source: 'event',
      });
      expect(meter.largestByState().get('Small')).toEqual({
        input: { state: 'Small', direction: 'input', bytes: payloadBytes({ start: true }), source: 'event' },
        output: {
          state: 'Small',
          direction: 'output',
          bytes: payloadBytes({ start: true, small: { a: 1 } }),
          source: 'event',
        },
      });
    });

    it('tells Map iterations apart by index', async () => {
      const meter = new PayloadMeter();
      const execution = machine({
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Item',
              States: { Item: { Type: 'Pass', End: true } },
            },
            End: true,
          },
        },
      }).run({ items: ['a', 'bbbb'] });

      await Promise.all([meter.consume(execution.eventLogs), execution.result]);

      expect(meter.largestByState().get('Item')?.output).toEqual({
        state: 'Item',
        direction: 'output',
        bytes: 6,
        source: 'event',
        index: 1,
      });
    });
  });
});
