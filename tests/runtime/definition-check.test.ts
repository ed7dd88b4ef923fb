import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckedDefinitions } from '../../src/runtime/checked-definitions';
import { LocalOrchestrator } from '../../src/runtime/local-orchestrator';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';

// Counts the interpreter's checks of the definition: aws-local-stepfunctions calls asl-validator's function (its
// own copy, resolved from where the interpreter is).
jest.mock(require.resolve('asl-validator', { paths: [require.resolve('aws-local-stepfunctions')] }), () => {
  const actual = jest.requireActual<(definition: unknown, options: unknown) => unknown>(
    require.resolve('asl-validator', { paths: [require.resolve('aws-local-stepfunctions')] }),
  );
  return jest.fn((definition: unknown, options: unknown) => actual(definition, options));
});
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the mocked module, to read its calls
const validator = require(require.resolve('asl-validator', { paths: [require.resolve('aws-local-stepfunctions')] })) as jest.Mock;

describe('LocalOrchestrator', () => {
  let lake: TestLake;
  /** Where definitions that passed are remembered: the lake's own folder, so each test starts with none. */
  let checkedDefinitionsDir: string;
  beforeEach(async () => {
    lake = await makeTestLake();
    checkedDefinitionsDir = join(lake.root, 'checked-definitions');
    validator.mockClear();
  });
  afterEach(async () => {
    await lake.cleanup();
  });

  it('checks the definition once (as AWS does when the state machine is created), not per execution', async () => {
    const orchestrator = new LocalOrchestrator(lake, { checkedDefinitionsDir });
    await putRaw(lake, rawKey(10, 'a'), [lessonEvent('u1', 'de', T0 + 5), otherEvent(T0 + 6)]);
    const first = await orchestrator.execute({ name: 'first', input: { mode: 'scheduled' } });
    await putRaw(lake, rawKey(11, 'b'), [otherEvent(T0 + 60)]);

    const second = await orchestrator.execute({ name: 'second', input: { mode: 'scheduled' } });

    expect(first).toMatchObject({ status: 'SUCCEEDED', output: { status: 'committed', inserted: 2 } });
    expect(second).toMatchObject({ name: 'second', status: 'SUCCEEDED', output: { status: 'committed', inserted: 1 } });
    expect(validator).toHaveBeenCalledTimes(1);
    expect((validator.mock.calls as unknown[][])[0]?.[1]).toMatchObject({ checkArn: true, checkPaths: true });
  });

  it('does not check again in a later process a definition that passed on this machine', async () => {
    await new LocalOrchestrator(lake, { checkedDefinitionsDir }).execute({ name: 'first', input: { mode: 'scheduled' } });
    await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0 + 6)]);

    // A new orchestrator stands for a later `eventlake run`: it finds the definition remembered.
    const later = await new LocalOrchestrator(lake, { checkedDefinitionsDir }).execute({ name: 'later', input: { mode: 'scheduled' } });

    expect(later).toMatchObject({ status: 'SUCCEEDED', output: { status: 'committed', inserted: 1 } });
    expect(validator).toHaveBeenCalledTimes(1);
    expect(readdirSync(checkedDefinitionsDir)).toHaveLength(1);
  });
});

describe('CheckedDefinitions', () => {
  it('names another definition by another file, and a definition the same whatever the object', () => {
    const checked = new CheckedDefinitions('/somewhere');
    const definition = { StartAt: 'A', States: { A: { Type: 'Succeed' } } };

    expect(checked.markerOf(definition)).toBe(checked.markerOf(JSON.parse(JSON.stringify(definition))));
    expect(checked.markerOf(definition)).not.toBe(checked.markerOf({ ...definition, Comment: 'edited' }));
    expect(checked.markerOf(definition)).toMatch(/^\/somewhere\/[0-9a-f]{64}\.checked$/);
  });

  it('remembers nothing where it cannot write, without failing', async () => {
    const lake = await makeTestLake();
    try {
      const file = join(lake.root, 'a-file');
      writeFileSync(file, '');
      const checked = new CheckedDefinitions(join(file, 'below-a-file'));
      const marker = checked.markerOf({ StartAt: 'A' });

      checked.remember(marker);

      expect(checked.has(marker)).toBe(false);
    } finally {
      await lake.cleanup();
    }
  });
});
