import fc from 'fast-check';
import { QUARANTINE_REASONS } from '../../src/contract/reasons';
import type { LineResult } from '../../src/contract/types';
import { validateLine } from '../../src/contract/validate-line';
import { ARRIVAL_MS, lessonEvent, lineOf } from '../fixtures/contract/events';

const reasons: readonly string[] = QUARANTINE_REASONS;

/** A result that is well formed: blank, valid with consistent derived fields, or invalid with a known reason. */
function isWellFormed(result: LineResult): boolean {
  if (result.kind === 'blank') return true;
  if (result.kind === 'invalid') {
    return (
      reasons.includes(result.reason) && result.errors.length > 0 && result.errors.every((e) => e.length > 0)
    );
  }
  const event = result.event;
  return (
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(event.event_uuid) &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(event.created_datetime) &&
    event.created_datetime.startsWith(event.event_date) &&
    event.event_name.startsWith(`${event.event_type}:${event.event_subtype}`)
  );
}

const anyString = fc.string({ unit: 'binary', maxLength: 40 });

/** Values an envelope field may hold: right, nearly right and wrong. */
const fieldValue = fc.oneof(
  fc.constantFrom(
    '0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d',
    '0B9C5A9E-5D7E-4B7E-9D3C-2A1F6E4B8C7D',
    '00000000-0000-0000-0000-000000000000',
    'lesson:started',
    'Lesson:Started',
    'account:created',
    'subscription:updated',
    'payment:order:completed',
    'a:',
    '',
    '1712511721',
  ),
  fc.constantFrom(1712511721, 1712511721.022075, 1712511721022, 946684799, -1, 0, 1e308, 5e-324),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  anyString,
  fc.jsonValue({ maxDepth: 2 }),
);

const eventLike = fc.record(
  {
    event_uuid: fieldValue,
    event_name: fieldValue,
    created_at: fieldValue,
    user_uuid: fieldValue,
    language: fieldValue,
    subscription_type: fieldValue,
    extra: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);

describe('validateLine never throws', () => {
  it('for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, isFirstLine) => {
        const result = validateLine(Buffer.from(bytes), { arrivalMs: ARRIVAL_MS, isFirstLine });
        return isWellFormed(result);
      }),
      { numRuns: 2000 },
    );
  });

  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateLine(Buffer.from(JSON.stringify(value) ?? ''), { arrivalMs: ARRIVAL_MS });
        return isWellFormed(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('for arbitrary strings, lone surrogates included', () => {
    fc.assert(
      fc.property(anyString, (text) =>
        isWellFormed(validateLine(Buffer.from(text), { arrivalMs: ARRIVAL_MS })),
      ),
      { numRuns: 1000 },
    );
  });

  it('for event-like objects with right, nearly right and wrong fields', () => {
    fc.assert(
      fc.property(eventLike, (event) => isWellFormed(validateLine(lineOf(event), { arrivalMs: ARRIVAL_MS }))),
      { numRuns: 3000 },
    );
  });

  it('for a valid line with bytes overwritten, inserted or cut', () => {
    const line = lineOf(lessonEvent({ meta: { tags: ['a', 'b'], n: 1.5 } }));
    fc.assert(
      fc.property(
        fc.nat({ max: line.length - 1 }),
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
        fc.constantFrom('overwrite', 'insert', 'cut'),
        (at, bytes, how) => {
          const changed =
            how === 'cut'
              ? line.subarray(0, at)
              : Buffer.concat([
                  line.subarray(0, at),
                  Buffer.from(bytes),
                  line.subarray(how === 'insert' ? at : at + bytes.length),
                ]);
          return isWellFormed(validateLine(changed, { arrivalMs: ARRIVAL_MS }));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
