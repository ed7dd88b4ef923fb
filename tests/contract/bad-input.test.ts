/**
 * docs/reliability.md#bad-input, the rows about lines and objects: each bad line is read from
 * an object between two good lines (plain and gzip), gets its exact reason, and its neighbours still validate.
 */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { QuarantineReason } from '../../src/contract/reasons';
import type { LineResult } from '../../src/contract/types';
import { validateLine } from '../../src/contract/validate-line';
import { readObjectLines } from '../../src/raw/read-object';
import { ARRIVAL_MS, lessonEvent, lineOf } from '../fixtures/contract/events';

type Outcome = 'valid' | 'blank' | QuarantineReason;

const fixtures = path.join(__dirname, '..', 'fixtures');

/** The object as a source of one chunk, as an object store's stream may give a small object. */
async function* once(object: Buffer): AsyncGenerator<Buffer> {
  await tick();
  yield object;
}

/** Reads an object and validates every line, as the pipeline does (line 1 may carry a BOM). */
async function validateObject(source: AsyncIterable<Buffer | string>): Promise<LineResult[]> {
  const results: LineResult[] = [];
  for await (const batch of readObjectLines(source)) {
    for (const line of batch) {
      results.push(
        validateLine(line.bytes, {
          arrivalMs: ARRIVAL_MS,
          isFirstLine: results.length === 0,
          sizeBytes: line.sizeBytes,
        }),
      );
    }
  }
  return results;
}

function outcome(result: LineResult): Outcome {
  return result.kind === 'invalid' ? result.reason : result.kind;
}

function between(bad: Buffer | string): Buffer {
  return Buffer.concat([
    lineOf(lessonEvent({ event_uuid: '11111111-1111-4111-8111-111111111111' })),
    Buffer.from('\n'),
    Buffer.from(bad),
    Buffer.from('\n'),
    lineOf(lessonEvent({ event_uuid: '22222222-2222-4222-8222-222222222222' })),
    Buffer.from('\n'),
  ]);
}

function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const text = (event: Record<string, unknown>): string => JSON.stringify(event);
const withCreatedAtToken = (token: string): string =>
  text(lessonEvent({ created_at: 0 })).replace('"created_at":0', `"created_at":${token}`);

const lineRows: readonly (readonly [string, Buffer | string, Outcome])[] = [
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'invalid_utf8'],
  ['a blank line', '   ', 'blank'],
  ['not JSON', 'hello world', 'not_json'],
  ['a truncated line', text(lessonEvent()).slice(0, 50), 'not_json'],
  ['two objects on one line', `${text(lessonEvent())}${text(lessonEvent())}`, 'not_json'],
  ['a top-level array', `[${text(lessonEvent())}]`, 'not_an_object'],
  ['a top-level number', '1712511721', 'not_an_object'],
  ['a top-level string', '"lesson:started"', 'not_an_object'],
  ['a top-level null', 'null', 'not_an_object'],
  ['a missing event_uuid', text(lessonEvent({ event_uuid: undefined })), 'missing_field'],
  ['a null event_uuid', text(lessonEvent({ event_uuid: null })), 'missing_field'],
  ['a missing event_name', text(lessonEvent({ event_name: undefined })), 'missing_field'],
  ['a null event_name', text(lessonEvent({ event_name: null })), 'missing_field'],
  ['a missing created_at', text(lessonEvent({ created_at: undefined })), 'missing_field'],
  ['a null created_at', text(lessonEvent({ created_at: null })), 'missing_field'],
  ['a malformed UUID', text(lessonEvent({ event_uuid: '0b9c5a9e-5d7e-4b7e-9d3c' })), 'invalid_uuid'],
  [
    'a braced UUID',
    text(lessonEvent({ event_uuid: '{0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d}' })),
    'invalid_uuid',
  ],
  ['the nil UUID', text(lessonEvent({ event_uuid: '00000000-0000-0000-0000-000000000000' })), 'invalid_uuid'],
  ['an upper-case UUID', text(lessonEvent({ event_uuid: '0B9C5A9E-5D7E-4B7E-9D3C-2A1F6E4B8C7D' })), 'valid'],
  ['an event_name with one part', text(lessonEvent({ event_name: 'lesson' })), 'invalid_event_name'],
  [
    'an event_name with an empty part',
    text(lessonEvent({ event_name: 'lesson::started' })),
    'invalid_event_name',
  ],
  ['an event_name with spaces', text(lessonEvent({ event_name: 'lesson: started' })), 'invalid_event_name'],
  ['an upper-case event_name', text(lessonEvent({ event_name: 'Lesson:Started' })), 'invalid_event_name'],
  ['created_at as a string', text(lessonEvent({ created_at: '1712511721' })), 'invalid_created_at'],
  ['created_at in milliseconds', text(lessonEvent({ created_at: 1712511721022 })), 'invalid_created_at'],
  ['created_at as the string "NaN"', text(lessonEvent({ created_at: 'NaN' })), 'invalid_created_at'],
  ['created_at as the bare token NaN', withCreatedAtToken('NaN'), 'not_json'],
  ['created_at overflowing to Infinity', withCreatedAtToken('1e400'), 'invalid_created_at'],
  ['a negative created_at', text(lessonEvent({ created_at: -1 })), 'invalid_created_at'],
  ['created_at before 2000', text(lessonEvent({ created_at: 946684799 })), 'invalid_created_at'],
  [
    'created_at more than 1 day ahead',
    text(lessonEvent({ created_at: ARRIVAL_MS / 1000 + 86_401 })),
    'invalid_created_at',
  ],
  ['an event over 256 KiB in bytes', text(lessonEvent({ note: 'ü'.repeat(140_000) })), 'too_large'],
  ['nesting 33 deep', text(lessonEvent({ deep: nested(32) })), 'too_deep'],
  ['nesting 32 deep', text(lessonEvent({ deep: nested(31) })), 'valid'],
  [
    'a duplicate envelope key',
    text(lessonEvent()).replace('{', '{"event_name":"account:created",'),
    'duplicate_key',
  ],
  ['a __proto__ key', text(lessonEvent()).replace('{', '{"__proto__":{"admin":true},'), 'forbidden_key'],
  ['a constructor key', text(lessonEvent({ meta: { constructor: 1 } })), 'forbidden_key'],
  ['a lone surrogate', text(lessonEvent({ lesson_id: 'L\ud800' })), 'invalid_characters'],
  ['an escaped NUL', text(lessonEvent({ lesson_id: 'L\u0000' })), 'invalid_characters'],
  ['a raw NUL', text(lessonEvent()).replace('L-42', 'L\0'), 'invalid_characters'],
];

describe('bad lines cost only themselves', () => {
  it.each(lineRows)('%s in a plain object', async (_label, bad, expected) => {
    // Act
    const results = await validateObject(once(between(bad)));

    // Assess
    expect(results.map(outcome)).toEqual(['valid', expected, 'valid']);
  });

  it.each(lineRows)('%s in a gzip object', async (_label, bad, expected) => {
    // Act
    const results = await validateObject(once(gzipSync(between(bad))));

    // Assess
    expect(results.map(outcome)).toEqual(['valid', expected, 'valid']);
  });

  it('lists every missing envelope field of one line', async () => {
    // Act
    const results = await validateObject(once(between(text({ language: 'es' }))));

    // Assess
    expect(results[1]).toMatchObject({
      reason: 'missing_field',
      errors: [expect.anything(), expect.anything(), expect.anything()],
    });
  });

  it('records the size and the limit of an oversized event', async () => {
    // Prepare
    const bad = text(lessonEvent({ note: 'ü'.repeat(140_000) }));

    // Act
    const results = await validateObject(once(between(bad)));

    // Assess
    expect(results[1]).toMatchObject({
      errors: [
        expect.stringContaining(`${Buffer.byteLength(bad)} bytes is larger than the limit of 262144 bytes`),
      ],
    });
  });

  it('records the depth and the limit of a too-deep event', async () => {
    // Act
    const results = await validateObject(once(between(text(lessonEvent({ deep: nested(40) })))));

    // Assess
    expect(results[1]).toMatchObject({
      errors: ['line: nesting depth 41 is deeper than the limit of 32; flatten the event'],
    });
  });
});

describe('bad objects', () => {
  it('counts an empty object as no lines, without error', async () => {
    // Act
    const results = await validateObject(once(Buffer.alloc(0)));

    // Assess
    expect(results).toEqual([]);
  });

  it('counts a valid gzip of nothing as no lines, without error', async () => {
    // Act
    const results = await validateObject(createReadStream(path.join(fixtures, 'raw', 'gzip-of-nothing.gz')));

    // Assess
    expect(results).toEqual([]);
  });

  it('refuses a truncated gzip as a whole', async () => {
    // Act
    const failure = validateObject(createReadStream(path.join(fixtures, 'raw', 'truncated.gz')));

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'EventLake.UnreadableObject' });
  });

  it('reads an object that is not gzip as plain lines, each judged alone', async () => {
    // Act
    const results = await validateObject(createReadStream(path.join(fixtures, 'raw', 'not-gzip.gz')));

    // Assess
    expect(results.map(outcome)).toEqual(['invalid_utf8', 'valid']);
  });

  it('accepts a BOM at the start of an object, CRLF and blank lines', async () => {
    // Act
    const results = await validateObject(createReadStream(path.join(fixtures, 'raw', 'bom-crlf.ndjson')));

    // Assess
    expect(results.map(outcome)).toEqual(['valid', 'blank', 'valid', 'blank', 'valid']);
  });

  it('quarantines only the invalid UTF-8 line of an object', async () => {
    // Prepare
    const object = readFileSync(path.join(fixtures, 'contract', 'invalid-utf8.ndjson'));

    // Act
    const results = await validateObject(once(object));

    // Assess
    expect(results.map(outcome)).toEqual(['valid', 'invalid_utf8', 'valid']);
  });
});
