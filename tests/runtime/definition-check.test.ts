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
  beforeEach(async () => {
    lake = await makeTestLake();
    validator.mockClear();
  });
  afterEach(async () => {
    await lake.cleanup();
  });

  it('checks the definition once (as AWS does when the state machine is created), not per execution', async () => {
    const orchestrator = new LocalOrchestrator(lake);
    await putRaw(lake, rawKey(10, 'a'), [lessonEvent('u1', 'de', T0 + 5), otherEvent(T0 + 6)]);
    const first = await orchestrator.execute({ name: 'first', input: { mode: 'scheduled' } });
    await putRaw(lake, rawKey(11, 'b'), [otherEvent(T0 + 60)]);

    const second = await orchestrator.execute({ name: 'second', input: { mode: 'scheduled' } });

    expect(first).toMatchObject({ status: 'SUCCEEDED', output: { status: 'committed', inserted: 2 } });
    expect(second).toMatchObject({ name: 'second', status: 'SUCCEEDED', output: { status: 'committed', inserted: 1 } });
    expect(validator).toHaveBeenCalledTimes(1);
    expect((validator.mock.calls as unknown[][])[0]?.[1]).toMatchObject({ checkArn: true, checkPaths: true });
  });
});
