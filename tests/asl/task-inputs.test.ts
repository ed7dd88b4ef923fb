import { readAslText } from '../../src/workflow/asl';

interface State {
  readonly Type: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ItemSelector?: Record<string, unknown>;
}

const definition = () => JSON.parse(readAslText()) as { States: Record<string, State> };

describe('Task states receive only the fields they use', () => {
  it('no top-level Task state passes the whole state ("$")', () => {
    const tasks = Object.entries(definition().States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(6);
    for (const [name, state] of tasks) {
      expect([name, state.Parameters === undefined]).toEqual([name, false]);
      const whole = Object.entries(state.Parameters ?? {}).filter(([key, value]) => key.endsWith('.$') && value === '$');
      expect([name, whole]).toEqual([name, []]);
    }
  });

  it('each Map hands its iterations a selected item (ItemSelector), never the whole state', () => {
    const maps = Object.entries(definition().States).filter(([, s]) => s.Type === 'Map');
    expect(maps.length).toBeGreaterThan(0);
    for (const [name, state] of maps) {
      expect([name, Object.values(state.ItemSelector ?? { whole: '$' }).includes('$')]).toEqual([name, false]);
    }
  });
});
