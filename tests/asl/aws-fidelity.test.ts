import { installPromiseWithResolvers } from '../../src/runtime/polyfill';
import { StateMachine } from 'aws-local-stepfunctions';
import { allStates as aslStates, readAslText } from '../../src/workflow/asl';
import { DEFAULT_CONFIG, EXECUTION_TIMEOUT_SECONDS } from '../../src/pipeline/config';
import { sqlTemplate } from '../../src/sql/render';

installPromiseWithResolvers();

const allStates = () => aslStates(JSON.parse(readAslText()) as { States: Record<string, unknown> });

const athenaStates = () =>
  [...allStates()].filter(([, s]) => s.Type === 'Task' && String(s.Resource).startsWith('arn:aws:states:::athena:'));

/** A Parameters key as written (`Key`) or as a path/intrinsic (`Key.$`): both reach the API as `Key`. */
const param = (params: Record<string, unknown>, key: string) => params[key] ?? params[`${key}.$`];

describe('AWS fidelity of the definition (issue 6)', () => {
  it('sends no ExecutionParameters, in either spelling, from any Athena state', () => {
    // Athena takes ExecutionParameters only in SELECT / INSERT INTO / CTAS / UNLOAD, one per `?`
    // (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html); our native
    // states format their values into the text instead.
    expect(athenaStates().length).toBeGreaterThan(0);
    for (const [name, state] of athenaStates()) {
      expect([name, param(state.Parameters as Record<string, unknown>, 'ExecutionParameters')]).toEqual([name, undefined]);
    }
  });

  it('gives every Athena attempt a new ClientRequestToken of 32-128 characters (Retry and new executions run again)', async () => {
    for (const [name, state] of athenaStates()) {
      const params = state.Parameters as Record<string, unknown>;
      const expression = param(params, 'ClientRequestToken');
      if (expression === undefined) continue;
      const probe = new StateMachine({
        StartAt: 'T',
        States: { T: { Type: 'Pass', Parameters: { 'token.$': expression }, End: true } },
      } as never);
      const input = { batch_id: '0123456789abcdef0123456789abcdef', group: 1, batch: { batch_id: '0123456789abcdef0123456789abcdef' } };
      const run = async (execution: string) =>
        ((await probe.run(input, { context: { Execution: { Name: execution } } }).result) as { token: string }).token;
      const first = await run('exec-1');
      const again = await run('exec-1');
      const other = await run('exec-2');
      expect([name, first.length >= 32 && first.length <= 128]).toEqual([name, true]);
      expect([name, new Set([first, again, other]).size]).toEqual([name, 3]);
    }
  });

  it('holds the lease longer than the longest execution, derived from the one execution timeout', () => {
    const definition = JSON.parse(readAslText()) as { TimeoutSeconds: number };
    expect(definition.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
    expect(DEFAULT_CONFIG.leaseTtlSeconds).toBeGreaterThan(EXECUTION_TIMEOUT_SECONDS);
    for (const [name, state] of allStates()) {
      if (typeof state.TimeoutSeconds === 'number') expect([name, state.TimeoutSeconds < EXECUTION_TIMEOUT_SECONDS]).toEqual([name, true]);
    }
  });

  it('runs the batch classification (DELETE, INSERT) as native Athena states, not from a Lambda', () => {
    const names = athenaStates().map(([n]) => n).sort();
    expect(names).toEqual(['ClassifyBatch', 'ClearClassified', 'MergeGroup']);
    for (const [, state] of athenaStates()) expect(state.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
  });

  it("bounds the MERGE's target by the group's partitions (event_type and event_date ranges)", () => {
    const text = sqlTemplate('athena', 'merge_group').replace(/--[^\n]*/g, '');
    const on = /\bON\b([\s\S]*?)\bWHEN\b/.exec(text)?.[1] ?? '';
    expect(on).toMatch(/t\.event_type BETWEEN \? AND \?/);
    expect(on).toMatch(/t\.event_date BETWEEN CAST\(\? AS DATE\) AND CAST\(\? AS DATE\)/);
  });

  it('keeps per-slice results out of the state: the slice Maps discard their results', () => {
    const states = allStates();
    for (const name of ['ValidateSlices', 'EnrichSlices']) expect([name, states.get(name)?.ResultPath]).toEqual([name, null]);
  });
});
