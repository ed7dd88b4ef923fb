import { allStates as aslStates, aslPlaceholders, loadAsl, readAslText } from '../../src/workflow/asl';
import { localSubstitutions } from '../../src/runtime/local-orchestrator';
import { SETTING_PLACEHOLDERS, STATE_BINDINGS } from '../../src/workflow/registry';

const allStates = () => aslStates(JSON.parse(readAslText()) as { States: Record<string, unknown> });

const taskStates = () => [...allStates()].filter(([, s]) => s.Type === 'Task');

describe('state-machines/microbatch.asl.json', () => {
  it('binds every Task state through the registry, and the registry names only Task states', () => {
    const tasks = taskStates().map(([name]) => name).sort();
    expect(Object.keys(STATE_BINDINGS).sort()).toEqual(tasks);
  });

  it('uses exactly the registry and setting placeholders, both ways', () => {
    const expected = new Set([...Object.values(STATE_BINDINGS).map((b) => b.placeholder), ...SETTING_PLACEHOLDERS]);
    expect([...aslPlaceholders()].sort()).toEqual([...expected].sort());
    expect(Object.keys(localSubstitutions()).sort()).toEqual([...expected].sort());
  });

  it('refuses a substitution set that misses a placeholder', () => {
    const subs = localSubstitutions();
    delete subs.GlueDatabase;
    expect(() => loadAsl(subs)).toThrow(/placeholders without substitution \[GlueDatabase\]/);
  });

  it('refuses a substitution that no placeholder uses', () => {
    expect(() => loadAsl({ ...localSubstitutions(), Stray: 'x' })).toThrow(/substitutions without placeholder \[Stray\]/);
  });

  it.each(taskStates())('%s has TimeoutSeconds, a Retry by error name with backoff, and a Catch', (_name, state) => {
    expect(state.TimeoutSeconds).toEqual(expect.any(Number));
    const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; JitterStrategy: string }[];
    expect(retry.length).toBeGreaterThan(0);
    for (const r of retry) {
      expect(r.ErrorEquals).not.toContain('States.ALL');
      expect(r.BackoffRate).toBeGreaterThan(1);
      expect(r.JitterStrategy).toBe('FULL');
    }
    const catches = state.Catch as { ErrorEquals: string[]; Next: string }[];
    expect(catches).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]);
  });

  it('keeps to what the local interpreter runs: JSONPath, inline Map, no ItemReader', () => {
    const text = readAslText();
    expect(text).not.toMatch(/JSONata|ItemReader|ResultWriter|ToleratedFailure|DISTRIBUTED/);
    for (const [, state] of allStates()) {
      if (state.Type === 'Map') expect(state.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'INLINE' } });
    }
  });

  it('formats into each Athena state exactly as many values as its SQL has ? (registry params)', () => {
    const athena = taskStates().filter(([, s]) => String(s.Resource).startsWith('arn:aws:states:::athena:'));
    expect(athena.length).toBeGreaterThan(0);
    for (const [name, s] of athena) {
      const binding = STATE_BINDINGS[name];
      if (binding?.kind !== 'athena') throw new Error(`${name} is not an athena binding`);
      const query = (s.Parameters as Record<string, string>)['QueryString.$'] ?? '';
      const match = /^States\.Format\('\$\{(\w+)\}', (.*)\)$/.exec(query);
      expect([name, match?.[1]]).toEqual([name, binding.placeholder]);
      expect([name, match?.[2]?.split(', ').length]).toEqual([name, binding.params.length]);
    }
  });

  it('catches every failure into the lease release, then a Fail that re-raises the original error name', () => {
    const states = allStates();
    const top = ['PlanBatch', 'ValidateSlices', 'EnrichSlices', 'SummarizeSlices', 'ClearClassified', 'ClassifyBatch', 'DedupBatch', 'MergeGroups', 'VerifyBatch', 'CommitBatch'];
    for (const name of top) {
      expect((states.get(name)?.Catch as { Next: string }[])[0]?.Next).toBe('ReleaseLeaseAfterFailure');
    }
    expect(states.get('RunFailed')).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });
});
