import { validateLine } from '../../src/contract/validate-line';
import { MAX_LINE_BYTES } from '../../src/contract/limits';
import {
  ARRIVAL_MS,
  EVENT_UUID,
  USER_UUID,
  expectValid,
  lessonEvent,
  lineOf,
} from '../fixtures/contract/events';

const options = { arrivalMs: ARRIVAL_MS };

function validate(event: unknown) {
  return validateLine(lineOf(event), options);
}

/** `levels` nested objects `{"a":{"a":...1}}`; inside an event they add `levels` to its depth of 1. */
function nestedObject(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('validateLine: line framing', () => {
  it('accepts a valid lesson line and derives every field', () => {
    // Prepare
    const line = lineOf(lessonEvent());

    // Act
    const event = expectValid(validateLine(line, options));

    // Assess
    expect(event).toEqual({
      event_uuid: EVENT_UUID,
      event_name: 'lesson:started',
      event_type: 'lesson',
      event_subtype: 'started',
      created_at: 1712511721.022075,
      created_datetime: '2024-04-07T17:42:01.022075Z',
      event_date: '2024-04-07',
      user_uuid: USER_UUID,
      language: 'es',
      body: lessonEvent(),
      payload: line.toString('utf8'),
      payloadBytes: line,
    });
  });

  it('strips a BOM from the first line of an object', () => {
    // Prepare
    const line = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), lineOf(lessonEvent())]);

    // Act
    const event = expectValid(validateLine(line, { ...options, isFirstLine: true }));

    // Assess
    expect(event.payload.startsWith('{')).toBe(true);
  });

  it('does not strip a BOM from a line that is not the first', () => {
    // Prepare
    const line = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), lineOf(lessonEvent())]);

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toMatchObject({ kind: 'invalid', reason: 'not_json' });
  });

  it('strips the CR of a CRLF line ending', () => {
    // Prepare
    const line = Buffer.concat([lineOf(lessonEvent()), Buffer.from('\r')]);

    // Act
    const event = expectValid(validateLine(line, options));

    // Assess
    expect(event.payload.endsWith('}')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['spaces and tabs', ' \t  '],
    ['a lone CR', '\r'],
  ])('reports a %s line as blank', (_label, text) => {
    // Act
    const result = validateLine(Buffer.from(text), options);

    // Assess
    expect(result).toEqual({ kind: 'blank' });
  });

  it('reports a first line holding only a BOM as blank', () => {
    // Act
    const result = validateLine(Buffer.from([0xef, 0xbb, 0xbf, 0x0d]), { ...options, isFirstLine: true });

    // Assess
    expect(result).toEqual({ kind: 'blank' });
  });
});

describe('validateLine: size, encoding and characters', () => {
  it('rejects a line over 256 KiB in bytes (not characters) as too_large with both sizes', () => {
    // Prepare: 'é' is 2 bytes, so 150k of them are 150k characters but 300k bytes.
    const line = lineOf(lessonEvent({ note: 'é'.repeat(150_000) }));
    expect(line.toString('utf8').length).toBeLessThan(MAX_LINE_BYTES);

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'too_large',
      errors: [
        expect.stringContaining(`${line.length} bytes is larger than the limit of ${MAX_LINE_BYTES} bytes`),
      ],
    });
  });

  it('accepts a line of exactly 256 KiB', () => {
    // Prepare
    const base = lineOf(lessonEvent({ note: '' }));
    const line = lineOf(lessonEvent({ note: 'x'.repeat(MAX_LINE_BYTES - base.length) }));
    expect(line.length).toBe(MAX_LINE_BYTES);

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result.kind).toBe('valid');
  });

  it('reports the real size of a line the reader cut to its head', () => {
    // Prepare
    const head = lineOf(lessonEvent()).subarray(0, 100);

    // Act
    const result = validateLine(head, { ...options, sizeBytes: 1_000_000 });

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'too_large',
      errors: [expect.stringContaining('1000000 bytes is larger than the limit of 262144 bytes')],
    });
  });

  it('rejects a line that is not UTF-8 as invalid_utf8, naming the byte', () => {
    // Prepare: "São" in Latin-1
    const line = Buffer.concat([Buffer.from('{"city":"S'), Buffer.from([0xe3]), Buffer.from('o"}')]);

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_utf8',
      errors: [expect.stringContaining('at byte 10 (0xe3)')],
    });
  });

  it('rejects an encoded surrogate (CESU-8) as invalid_utf8', () => {
    // Prepare
    const line = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toMatchObject({ kind: 'invalid', reason: 'invalid_utf8' });
  });

  it('rejects a raw NUL character as invalid_characters', () => {
    // Prepare
    const line = Buffer.from(JSON.stringify(lessonEvent()).replace('"L-42"', '"L-\0"'));
    expect(line.includes(0)).toBe(true);

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_characters',
      errors: [expect.stringContaining('raw NUL character')],
    });
  });

  it('rejects an escaped \\u0000 as invalid_characters', () => {
    // Act
    const result = validate(lessonEvent({ lesson_id: 'L-\u0000' }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_characters',
      errors: [expect.stringContaining('escaped NUL character \\u0000')],
    });
  });

  it.each([
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udc00'],
    ['a reversed pair', '\udc00\ud800'],
  ])('rejects %s as invalid_characters', (_label, text) => {
    // Prepare: JSON.stringify writes lone surrogates as \uXXXX escapes
    const line = lineOf(lessonEvent({ lesson_id: `L${text}` }));

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_characters',
      errors: [expect.stringContaining('lone surrogate')],
    });
  });

  it('accepts an escaped surrogate pair', () => {
    // Prepare
    const line = Buffer.from(
      JSON.stringify(lessonEvent({ lesson_id: 'X' })).replace('"X"', '"\\ud83d\\ude00"'),
    );

    // Act
    const event = expectValid(validateLine(line, options));

    // Assess
    expect(event.body.lesson_id).toBe('😀');
  });

  it('accepts an escaped backslash followed by the text u0000', () => {
    // Act
    const event = expectValid(validate(lessonEvent({ lesson_id: '\\u0000' })));

    // Assess
    expect(event.body.lesson_id).toBe('\\u0000');
  });
});

describe('validateLine: structure', () => {
  it('accepts nesting 32 deep', () => {
    // Act
    const result = validate(lessonEvent({ deep: nestedObject(31) }));

    // Assess
    expect(result.kind).toBe('valid');
  });

  it('rejects nesting 33 deep as too_deep with the depth and the limit', () => {
    // Act
    const result = validate(lessonEvent({ deep: nestedObject(32) }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'too_deep',
      errors: ['line: nesting depth 33 is deeper than the limit of 32; flatten the event'],
    });
  });

  it('rejects 10,000 levels of arrays as too_deep', () => {
    // Act
    const result = validateLine(Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`), options);

    // Assess
    expect(result).toMatchObject({ kind: 'invalid', reason: 'too_deep' });
  });

  it('rejects a duplicate top-level key as duplicate_key, naming it', () => {
    // Prepare
    const line = Buffer.from(JSON.stringify(lessonEvent()).replace('{', `{"event_uuid":"${USER_UUID}",`));

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'duplicate_key',
      errors: [expect.stringMatching(/^event_uuid: key appears more than once at the top level/)],
    });
  });

  it('rejects a duplicate top-level key written with an escape as duplicate_key', () => {
    // Prepare
    const line = Buffer.from(JSON.stringify(lessonEvent()).replace('{', '{"langu\\u0061ge":"fr",'));

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toMatchObject({
      kind: 'invalid',
      reason: 'duplicate_key',
      errors: [expect.stringMatching(/^language:/)],
    });
  });

  it('accepts the same key in nested objects', () => {
    // Act
    const result = validate(lessonEvent({ a: { language: 'x' }, b: [{ language: 'y' }] }));

    // Assess
    expect(result.kind).toBe('valid');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects a top-level %s key as forbidden_key', (key) => {
    // Prepare
    const line = Buffer.from(JSON.stringify(lessonEvent()).replace('{', `{"${key}":{"x":1},`));

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'forbidden_key',
      errors: [expect.stringContaining(`key "${key}" is not allowed at any depth`)],
    });
  });

  it('rejects a nested __proto__ key as forbidden_key', () => {
    // Prepare
    const line = Buffer.from(
      JSON.stringify(lessonEvent({ meta: { a: [{ b: 1 }] } })).replace(
        '{"b"',
        '{"__proto__":{"polluted":true},"b"',
      ),
    );

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toMatchObject({ kind: 'invalid', reason: 'forbidden_key' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a __proto__ key written with escapes as forbidden_key', () => {
    // Prepare
    const line = Buffer.from(JSON.stringify(lessonEvent()).replace('{', '{"\\u005f_proto__":1,'));

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toMatchObject({
      kind: 'invalid',
      reason: 'forbidden_key',
      errors: [expect.stringMatching(/^__proto__:/)],
    });
  });

  it('accepts "constructor" as a string value', () => {
    // Act
    const result = validate(lessonEvent({ role: 'constructor' }));

    // Assess
    expect(result.kind).toBe('valid');
  });
});

describe('validateLine: JSON', () => {
  it.each([
    ['text', 'not json at all'],
    ['a truncated line', JSON.stringify(lessonEvent()).slice(0, 60)],
    ['two objects on one line', `${JSON.stringify(lessonEvent())}${JSON.stringify(lessonEvent())}`],
    ['two objects separated by a space', `${JSON.stringify(lessonEvent())} {}`],
    ['a NaN literal', '{"created_at":NaN}'],
    ['single quotes', "{'event_uuid':'x'}"],
  ])('rejects %s as not_json with JSON.parse’s explanation', (_label, text) => {
    // Act
    const result = validateLine(Buffer.from(text), options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'not_json',
      errors: [expect.stringMatching(/^line: not valid JSON \(.+\); send exactly one JSON object per line$/)],
    });
  });

  it('includes the position JSON.parse reports', () => {
    // Act
    const result = validateLine(Buffer.from('{"a":1}{"b":2}'), options);

    // Assess
    expect(result).toMatchObject({ errors: [expect.stringContaining('at position 7')] });
  });

  it('reports a truncated line with duplicate keys as not_json', () => {
    // Act
    const result = validateLine(Buffer.from('{"a":1,"a":2,"b":'), options);

    // Assess
    expect(result).toMatchObject({ kind: 'invalid', reason: 'not_json' });
  });

  it.each([
    ['an array', '[{"event_uuid":"x"}]', 'an array'],
    ['a number', '42', 'a number'],
    ['a string', '"lesson:started"', 'a string'],
    ['null', 'null', 'null'],
    ['a boolean', 'true', 'a boolean'],
  ])('rejects %s at the top level as not_an_object', (_label, text, described) => {
    // Act
    const result = validateLine(Buffer.from(text), options);

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'not_an_object',
      errors: [expect.stringContaining(`the top-level value is ${described}, not an object`)],
    });
  });

  it('keeps an integer above 2^53 in an unknown field unchanged in the payload', () => {
    // Prepare
    const text = JSON.stringify(lessonEvent({ big: 0 })).replace('"big":0', '"big":12345678901234567890');

    // Act
    const event = expectValid(validateLine(Buffer.from(text), options));

    // Assess
    expect(event.payload).toBe(text);
    expect(event.payload).toContain('"big":12345678901234567890');
  });

  it('keeps unknown extra fields in the body', () => {
    // Act
    const event = expectValid(validate(lessonEvent({ extra: { nested: [1, 'two'] }, platform: 'ios' })));

    // Assess
    expect(event.body).toMatchObject({ extra: { nested: [1, 'two'] }, platform: 'ios' });
  });
});

describe('validateLine: messages', () => {
  it('quotes a duplicate key that is not a plain name', () => {
    // Prepare
    const line = Buffer.from('{"a b\\n":1,"a b\\n":2}');

    // Act
    const result = validateLine(line, options);

    // Assess
    expect(result).toMatchObject({
      reason: 'duplicate_key',
      errors: [expect.stringMatching(/^"a b\\n": key appears/)],
    });
  });
});
