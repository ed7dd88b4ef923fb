import fc from 'fast-check';
import { passesContract, schemaFor, uuidProblem, type ContractContext } from '../../src/contract/schemas';
import { ARRIVAL_MS } from '../fixtures/contract/events';

const context: ContractContext = { arrivalMs: ARRIVAL_MS, maxCreatedAt: ARRIVAL_MS / 1000 + 86_400 };

function yupAccepts(body: Record<string, unknown>): boolean {
  try {
    schemaFor(body).validateSync(body, { strict: true, abortEarly: false, context });
    return true;
  } catch {
    return false;
  }
}

const value = fc.oneof(
  fc.constantFrom(
    '0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d',
    '7A1C2E3F-4B5D-4C6E-8F7A-9B0C1D2E3F4A',
    '00000000-0000-0000-0000-000000000000',
    '{0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d}',
    'lesson:started',
    'lesson:completed:extra',
    'account:created',
    'subscription:renewed',
    'payment:order:completed',
    'Lesson:started',
    'lesson',
    'lesson:',
    'es',
    ' ',
    '',
    'premium',
  ),
  fc.constantFrom(
    946684800,
    946684799.999,
    1712511721.022075,
    ARRIVAL_MS / 1000 + 86_400,
    ARRIVAL_MS / 1000 + 86_400.001,
    1e11,
    1e11 + 1,
    Infinity,
    -Infinity,
    Number.NaN,
  ),
  fc.double(),
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 2 }),
);

/** Mostly a right value for the field, sometimes anything: most bodies are one or two mistakes from valid. */
function field(right: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: right, weight: 6 }, { arbitrary: value, weight: 1 });
}

const UUIDS = ['0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d', '7A1C2E3F-4B5D-4C6E-8F7A-9B0C1D2E3F4A', '00000000-0000-0000-0000-000000000000'];

/** A UUID with one character replaced, removed or added: where a hand-written check and the regex could part. */
const nearUuid = fc
  .tuple(
    fc.constantFrom(...UUIDS),
    fc.nat({ max: 36 }),
    fc.constantFrom('replace', 'remove', 'insert'),
    fc.constantFrom('0', '9', 'a', 'f', 'A', 'F', 'g', 'G', '@', '`', '/', ':', '-', ' ', 'é', '\u0130', '\uff21', 'z'),
  )
  .map(([uuid, at, how, c]) => uuid.slice(0, at) + (how === 'remove' ? '' : c) + uuid.slice(how === 'insert' ? at : at + 1));

const body = fc.record({
  event_uuid: field(fc.oneof(fc.constantFrom(...UUIDS), nearUuid)),
  event_name: field(
    fc.constantFrom('lesson:started', 'account:created', 'subscription:renewed', 'payment:order:done'),
  ),
  created_at: field(fc.double({ min: 946684800, max: ARRIVAL_MS / 1000 + 86_400, noNaN: true })),
  user_uuid: field(fc.oneof(fc.constant('7a1c2e3f-4b5d-4c6e-8f7a-9b0c1d2e3f4a'), nearUuid)),
  language: field(fc.constantFrom('es', 'fr')),
  subscription_type: field(fc.constantFrom(undefined, 'premium')),
  subscription_status: field(fc.constantFrom(undefined, 'active')),
});

describe('passesContract (the fast path) and the yup schemas', () => {
  it('agree on generated bodies', () => {
    fc.assert(
      fc.property(body, (candidate) => passesContract(candidate, context) === yupAccepts(candidate)),
      { numRuns: 10_000 },
    );
  });

  it('agree on a body with every rule met', () => {
    // Prepare
    const candidate = {
      event_uuid: '0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d',
      event_name: 'subscription:renewed',
      created_at: 1712511721,
      user_uuid: '7a1c2e3f-4b5d-4c6e-8f7a-9b0c1d2e3f4a',
      language: 'es',
      subscription_type: 'premium',
    };

    // Act
    const verdicts = [passesContract(candidate, context), yupAccepts(candidate)];

    // Assess
    expect(verdicts).toEqual([true, true]);
  });
});

describe('uuidProblem', () => {
  it('accepts a canonical UUID in any case', () => {
    // Act
    const problems = [
      uuidProblem('0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d'),
      uuidProblem('0B9C5A9E-5D7E-4B7E-9D3C-2A1F6E4B8C7D'),
    ];

    // Assess
    expect(problems).toEqual([null, null]);
  });

  it('rejects the nil UUID', () => {
    // Act
    const problem = uuidProblem('00000000-0000-0000-0000-000000000000');

    // Assess
    expect(problem).toBe('is the nil UUID; send a real, unique UUID');
  });
});
