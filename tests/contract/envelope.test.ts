import { validateLine } from '../../src/contract/validate-line';
import { ARRIVAL_MS, USER_UUID, expectValid, lessonEvent, lineOf } from '../fixtures/contract/events';

function validate(event: unknown) {
  return validateLine(lineOf(event), { arrivalMs: ARRIVAL_MS });
}

describe('validateLine: missing envelope fields', () => {
  it.each(['event_uuid', 'event_name', 'created_at'])('rejects a missing %s as missing_field', (field) => {
    // Act
    const result = validate(lessonEvent({ [field]: undefined }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'missing_field',
      errors: [expect.stringMatching(new RegExp(`^${field}: is missing; send `))],
    });
  });

  it.each(['event_uuid', 'event_name', 'created_at'])('rejects a null %s as missing_field', (field) => {
    // Act
    const result = validate(lessonEvent({ [field]: null }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'missing_field',
      errors: [expect.stringMatching(new RegExp(`^${field}: is null; send `))],
    });
  });

  it('lists every envelope problem: missing event_uuid and a bad created_at', () => {
    // Act
    const result = validate(lessonEvent({ event_uuid: undefined, created_at: '1712511721' }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'missing_field',
      errors: [
        expect.stringMatching(/^event_uuid: is missing/),
        expect.stringMatching(/^created_at: "1712511721" is a string/),
      ],
    });
  });

  it('lists all three fields when the envelope is empty', () => {
    // Act
    const result = validate({});

    // Assess
    expect(result).toMatchObject({
      reason: 'missing_field',
      errors: [
        expect.stringMatching(/^event_uuid: is missing/),
        expect.stringMatching(/^event_name: is missing/),
        expect.stringMatching(/^created_at: is missing/),
      ],
    });
  });

  it('lets missing_field win over an earlier invalid field', () => {
    // Act
    const result = validate(lessonEvent({ event_uuid: 'nope', created_at: null }));

    // Assess
    expect(result).toMatchObject({
      reason: 'missing_field',
      errors: [
        expect.stringMatching(/^event_uuid: "nope" must be a UUID/),
        expect.stringMatching(/^created_at: is null/),
      ],
    });
  });

  it('reports an empty-string event_uuid as invalid_uuid, once', () => {
    // Act
    const result = validate(lessonEvent({ event_uuid: '' }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_uuid',
      errors: [expect.stringMatching(/^event_uuid: is an empty string; send /)],
    });
  });
});

describe('validateLine: event_uuid', () => {
  it.each([
    ['malformed', 'not-a-uuid', 'must be a UUID of 32 hex digits in 8-4-4-4-12 form'],
    ['too short', '0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7', 'must be a UUID'],
    ['braced', '{0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d}', 'remove the braces'],
    ['urn-prefixed', 'urn:uuid:0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d', 'remove the urn:uuid: prefix'],
    ['without dashes', '0b9c5a9e5d7e4b7e9d3c2a1f6e4b8c7d', 'add the dashes'],
    ['padded with spaces', ' 0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d ', 'remove the spaces'],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000', 'is the nil UUID'],
  ])('rejects a %s event_uuid as invalid_uuid', (_label, uuid, hint) => {
    // Act
    const result = validate(lessonEvent({ event_uuid: uuid }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_uuid',
      errors: [expect.stringContaining(hint)],
    });
  });

  it('rejects a numeric event_uuid as invalid_uuid', () => {
    // Act
    const result = validate(lessonEvent({ event_uuid: 12345 }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_uuid',
      errors: [expect.stringMatching(/^event_uuid: 12345 is a number; send /)],
    });
  });

  it('accepts an upper-case event_uuid and normalises it to lower case', () => {
    // Act
    const event = expectValid(validate(lessonEvent({ event_uuid: '0B9C5A9E-5D7E-4B7E-9D3C-2A1F6E4B8C7D' })));

    // Assess
    expect(event.event_uuid).toBe('0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d');
  });
});

describe('validateLine: event_name', () => {
  it('names the field, the value and the fix for upper case', () => {
    // Act
    const result = validate(lessonEvent({ event_name: 'Lesson:Started' }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_event_name',
      errors: [
        `event_name: "Lesson:Started" must be lower-case parts of [a-z0-9_] separated by ':' (e.g. lesson:started); it has upper-case letters`,
      ],
    });
  });

  it.each([
    ['one part', 'lesson', 'it has only one part'],
    ['an empty last part', 'lesson:', 'it has an empty part'],
    ['an empty first part', ':started', 'it has an empty part'],
    ['an empty middle part', 'payment::completed', 'it has an empty part'],
    ['a space', 'lesson: started', 'it contains white space'],
    ['spaces instead of a colon', 'lesson started', 'it has only one part'],
    ['a dash', 'lesson:re-started', 'it has characters outside [a-z0-9_]'],
  ])('rejects an event_name with %s as invalid_event_name', (_label, name, hint) => {
    // Act
    const result = validate(lessonEvent({ event_name: name }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_event_name',
      errors: [expect.stringContaining(hint)],
    });
  });

  it('rejects a non-string event_name as invalid_event_name', () => {
    // Act
    const result = validate(lessonEvent({ event_name: ['lesson', 'started'] }));

    // Assess
    expect(result).toMatchObject({
      reason: 'invalid_event_name',
      errors: [expect.stringContaining('is an array')],
    });
  });

  it('derives event_type and event_subtype from the first two parts of a 3-part name', () => {
    // Act
    const event = expectValid(validate(lessonEvent({ event_name: 'payment:order:completed' })));

    // Assess
    expect([event.event_type, event.event_subtype]).toEqual(['payment', 'order']);
  });

  it('accepts digits and underscores in parts', () => {
    // Act
    const event = expectValid(validate(lessonEvent({ event_name: 'lesson_v2:step_3_done' })));

    // Assess
    expect([event.event_type, event.event_subtype]).toEqual(['lesson_v2', 'step_3_done']);
  });

  it('reports the first failing field first: event_uuid before event_name', () => {
    // Act
    const result = validate(lessonEvent({ event_uuid: 'x', event_name: 'X', created_at: 1 }));

    // Assess
    expect(result).toMatchObject({
      reason: 'invalid_uuid',
      errors: [
        expect.stringMatching(/^event_uuid:/),
        expect.stringMatching(/^event_name:/),
        expect.stringMatching(/^created_at:/),
      ],
    });
  });

  it('reports event_name before created_at', () => {
    // Act
    const result = validate(lessonEvent({ event_name: 'X', created_at: 1 }));

    // Assess
    expect(result).toMatchObject({ reason: 'invalid_event_name' });
  });
});

describe('validateLine: created_at', () => {
  it.each([
    ['a numeric string', '1712511721', 'is a string; send a JSON number of Unix seconds'],
    ['the string "NaN"', 'NaN', 'is a string'],
    ['milliseconds', 1712511721022, 'created_at: 1712511721022 looks like milliseconds; send seconds'],
    ['negative', -1712511721, 'is negative'],
    ['before 2000', 946684799, 'is before 2000-01-01T00:00:00Z (946684800)'],
    [
      'more than a day after arrival',
      ARRIVAL_MS / 1000 + 86_401,
      'is more than 24 hours after the event arrived (2024-04-08T00:00:00.000Z)',
    ],
    ['a boolean', true, 'is a boolean'],
  ])('rejects created_at as %s, without guessing', (_label, value, message) => {
    // Act
    const result = validate(lessonEvent({ created_at: value }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_created_at',
      errors: [expect.stringContaining(message)],
    });
  });

  it('rejects a number too large for a double (1e400 parses as Infinity) as invalid_created_at', () => {
    // Prepare
    const line = Buffer.from(
      JSON.stringify(lessonEvent({ created_at: 0 })).replace('"created_at":0', '"created_at":1e400'),
    );

    // Act
    const result = validateLine(line, { arrivalMs: ARRIVAL_MS });

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_created_at',
      errors: [expect.stringContaining('created_at: Infinity is not a finite number')],
    });
  });

  it('rejects the bare token NaN as not_json (JSON has no NaN)', () => {
    // Prepare
    const line = Buffer.from(
      JSON.stringify(lessonEvent({ created_at: 0 })).replace('"created_at":0', '"created_at":NaN'),
    );

    // Act
    const result = validateLine(line, { arrivalMs: ARRIVAL_MS });

    // Assess
    expect(result).toMatchObject({ kind: 'invalid', reason: 'not_json' });
  });

  it.each([
    ['exactly 2000-01-01', 946684800],
    ['exactly one day after arrival', ARRIVAL_MS / 1000 + 86_400],
  ])('accepts created_at at the bound: %s', (_label, value) => {
    // Act
    const result = validate(lessonEvent({ created_at: value }));

    // Assess
    expect(result.kind).toBe('valid');
  });
});

describe('validateLine: payload rules', () => {
  it('rejects a lesson without user_uuid as invalid_payload', () => {
    // Act
    const result = validate(lessonEvent({ user_uuid: undefined }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_payload',
      errors: [expect.stringMatching(/^user_uuid: is missing; send the user's id as a UUID/)],
    });
  });

  it('rejects a lesson with a blank language as invalid_payload', () => {
    // Act
    const result = validate(lessonEvent({ language: '  ' }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_payload',
      errors: [expect.stringMatching(/^language: " {2}" is blank/)],
    });
  });

  it('lists payload errors after the envelope ones, the envelope giving the reason', () => {
    // Act
    const result = validate(lessonEvent({ created_at: 5, user_uuid: 'u1' }));

    // Assess
    expect(result).toMatchObject({
      reason: 'invalid_created_at',
      errors: [
        expect.stringMatching(/^created_at:/),
        expect.stringMatching(/^user_uuid: "u1" must be a UUID/),
      ],
    });
  });

  it('normalises an upper-case user_uuid to lower case', () => {
    // Act
    const event = expectValid(validate(lessonEvent({ user_uuid: USER_UUID.toUpperCase() })));

    // Assess
    expect(event.user_uuid).toBe(USER_UUID);
  });

  it('rejects an account event without user_uuid as invalid_payload', () => {
    // Act
    const result = validate({ ...lessonEvent({ event_name: 'account:created', user_uuid: undefined }) });

    // Assess
    expect(result).toMatchObject({ kind: 'invalid', reason: 'invalid_payload' });
  });

  it('accepts an account event without language', () => {
    // Act
    const event = expectValid(
      validate(lessonEvent({ event_name: 'account:created', language: undefined, country: 'BR' })),
    );

    // Assess
    expect([event.user_uuid, event.language]).toEqual([USER_UUID, null]);
  });

  it('rejects a subscription event without language as invalid_payload', () => {
    // Act
    const result = validate(lessonEvent({ event_name: 'subscription:updated', language: undefined }));

    // Assess
    expect(result).toMatchObject({
      kind: 'invalid',
      reason: 'invalid_payload',
      errors: [expect.stringMatching(/^language: is missing/)],
    });
  });

  it('accepts a partial subscription update without type and status', () => {
    // Act
    const result = validate(
      lessonEvent({ event_name: 'subscription:updated', subscription_status: 'active' }),
    );

    // Assess
    expect(result.kind).toBe('valid');
  });

  it.each([
    ['a number', 3, 'is a number'],
    ['null', null, 'is null; leave the field out'],
  ])('rejects a subscription_type that is %s as invalid_payload', (_label, value, message) => {
    // Act
    const result = validate(lessonEvent({ event_name: 'subscription:updated', subscription_type: value }));

    // Assess
    expect(result).toMatchObject({ reason: 'invalid_payload', errors: [expect.stringContaining(message)] });
  });

  it('applies no payload rule to other event types and copies only string user_uuid/language', () => {
    // Act
    const event = expectValid(
      validate(lessonEvent({ event_name: 'payment:order:completed', user_uuid: 42, language: undefined })),
    );

    // Assess
    expect([event.user_uuid, event.language]).toEqual([null, null]);
  });

  it('applies no payload rule when event_name is invalid', () => {
    // Act
    const result = validate(lessonEvent({ event_name: 'lesson', user_uuid: undefined }));

    // Assess
    expect(result).toEqual({
      kind: 'invalid',
      reason: 'invalid_event_name',
      errors: [expect.stringContaining('only one part')],
    });
  });
});
