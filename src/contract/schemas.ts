/**
 * The yup schemas of the event contract (docs/contract.md#fields), built once at module load.
 *
 * - strict mode: nothing is cast (`"1712511721"` is not a number) and nothing is stripped (unknown keys stay);
 * - one schema per event type = envelope + that type's payload rules, picked by a cheap look at `event_name`,
 *   so yup runs once per line;
 * - every message names the field, what is wrong and the fix.
 */
import * as yup from 'yup';
import type { QuarantineReason } from './reasons';
import { MAX_FUTURE_SECONDS, MILLISECONDS_THRESHOLD, MIN_CREATED_AT } from './limits';

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX32_RE = /^[0-9a-f]{32}$/i;
const UUID_EXAMPLE = '0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d';

/** `a:b[:c...]`, every part non-empty lower-case `[a-z0-9_]`. */
export const EVENT_NAME_RE = /^[a-z0-9_]+(?::[a-z0-9_]+)+$/;

/** Envelope fields, in the order their failures choose the reason. */
export const ENVELOPE_FIELDS = ['event_uuid', 'event_name', 'created_at'] as const;
export type EnvelopeField = (typeof ENVELOPE_FIELDS)[number];

/** Reason for an envelope field that is present (not undefined, not null) but wrong. */
export const INVALID_REASON: Readonly<Record<EnvelopeField, QuarantineReason>> = {
  event_uuid: 'invalid_uuid',
  event_name: 'invalid_event_name',
  created_at: 'invalid_created_at',
};

/** What the validation context carries: the line's arrival time and the latest created_at it accepts. */
export interface ContractContext {
  readonly arrivalMs: number;
  /** arrivalMs / 1000 + MAX_FUTURE_SECONDS. */
  readonly maxCreatedAt: number;
}

/** A value as it appears in a message: JSON text, cut to 80 characters. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'number') text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Null when `value` is a canonical, non-nil UUID (any case); else what is wrong and how to fix it. */
export function uuidProblem(value: string): string | null {
  if (UUID_RE.test(value)) {
    return value === NIL_UUID ? 'is the nil UUID; send a real, unique UUID' : null;
  }
  const hint = `must be a UUID of 32 hex digits in 8-4-4-4-12 form (e.g. ${UUID_EXAMPLE})`;
  if (value.startsWith('{') && value.endsWith('}')) return `${hint}: remove the braces`;
  if (/^urn:uuid:/i.test(value)) return `${hint}: remove the urn:uuid: prefix`;
  if (HEX32_RE.test(value)) return `${hint}: add the dashes`;
  if (value.trim() !== value) return `${hint}: remove the spaces`;
  return hint;
}

function missing(field: string, fix: string): yup.Message {
  return ({ value }: { value: unknown }) =>
    `${field}: ${value === null ? 'is null' : value === '' ? 'is an empty string' : 'is missing'}; ${fix}`;
}

function uuidSchema(field: string, what: string) {
  return yup
    .string()
    .required(missing(field, `send ${what} as a UUID (e.g. ${UUID_EXAMPLE})`))
    .typeError(
      ({ value }: { value: unknown }) =>
        `${field}: ${show(value)} is ${jsonType(value)}; send ${what} as a UUID string (e.g. ${UUID_EXAMPLE})`,
    )
    .test({
      name: 'uuid',
      test(value, ctx) {
        if (typeof value !== 'string' || value === '') return true;
        const problem = uuidProblem(value);
        return problem === null || ctx.createError({ message: `${field}: ${show(value)} ${problem}` });
      },
    });
}

function eventNameProblem(value: string): string {
  if (value.trim() === '') return 'it is empty';
  if (!value.includes(':')) return 'it has only one part';
  if (value.split(':').some((part) => part === '')) return 'it has an empty part';
  if (/\s/.test(value)) return 'it contains white space';
  if (value !== value.toLowerCase()) return 'it has upper-case letters';
  return 'it has characters outside [a-z0-9_]';
}

const eventNameSchema = yup
  .string()
  .required(missing('event_name', 'send the event name, e.g. "lesson:started"'))
  .typeError(
    ({ value }: { value: unknown }) =>
      `event_name: ${show(value)} is ${jsonType(value)}; send a string of lower-case parts separated by ':' (e.g. lesson:started)`,
  )
  .test({
    name: 'event_name',
    test(value, ctx) {
      if (typeof value !== 'string' || value === '' || EVENT_NAME_RE.test(value)) return true;
      return ctx.createError({
        message: `event_name: ${show(value)} must be lower-case parts of [a-z0-9_] separated by ':' (e.g. lesson:started); ${eventNameProblem(value)}`,
      });
    },
  });

/** The created_at rule: finite, not before 2000, not milliseconds, at most MAX_FUTURE_SECONDS after arrival. */
export function isValidCreatedAt(createdAt: number, context: ContractContext): boolean {
  return (
    Number.isFinite(createdAt) &&
    createdAt >= MIN_CREATED_AT &&
    createdAt <= MILLISECONDS_THRESHOLD &&
    createdAt <= context.maxCreatedAt
  );
}

/** Null when `createdAt` is acceptable for the context (see isValidCreatedAt), else the message. */
export function createdAtProblem(createdAt: number, context: ContractContext): string | null {
  if (isValidCreatedAt(createdAt, context)) return null;
  const shown = show(createdAt);
  if (!Number.isFinite(createdAt)) {
    return `created_at: ${shown} is not a finite number; send Unix seconds (e.g. 1712511721.022075)`;
  }
  if (createdAt < 0) {
    return `created_at: ${shown} is negative; send Unix seconds on or after 2000-01-01 (${MIN_CREATED_AT})`;
  }
  if (createdAt < MIN_CREATED_AT) {
    return `created_at: ${shown} is before 2000-01-01T00:00:00Z (${MIN_CREATED_AT}); send Unix seconds of the event's real time`;
  }
  if (createdAt > MILLISECONDS_THRESHOLD) {
    return `created_at: ${shown} looks like milliseconds; send seconds`;
  }
  if (createdAt > context.maxCreatedAt) {
    return `created_at: ${shown} is more than ${MAX_FUTURE_SECONDS / 3600} hours after the event arrived (${new Date(context.arrivalMs).toISOString()}); send the event's real time in Unix seconds and check the sender's clock`;
  }
  return null;
}

const createdAtSchema = yup
  .number()
  .required(missing('created_at', 'send the event time in Unix seconds (e.g. 1712511721.022075)'))
  .typeError(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? `created_at: ${show(value)} is a string; send a JSON number of Unix seconds (e.g. 1712511721.022075), not text`
      : `created_at: ${show(value)} is ${jsonType(value)}; send a JSON number of Unix seconds (e.g. 1712511721.022075)`,
  )
  .test({
    name: 'created_at',
    test(value, ctx) {
      if (typeof value !== 'number') return true;
      const problem = createdAtProblem(value, ctx.options.context as ContractContext);
      return problem === null || ctx.createError({ message: problem });
    },
  });

function requiredText(field: string, example: string) {
  return yup
    .string()
    .required(missing(field, `send it as a non-empty string (e.g. ${show(example)})`))
    .typeError(
      ({ value }: { value: unknown }) =>
        `${field}: ${show(value)} is ${jsonType(value)}; send a non-empty string (e.g. ${show(example)})`,
    )
    .test({
      name: 'not_blank',
      test(value, ctx) {
        if (typeof value !== 'string' || value === '' || value.trim() !== '') return true;
        return ctx.createError({
          message: `${field}: ${show(value)} is blank; send a non-empty string (e.g. ${show(example)})`,
        });
      },
    });
}

function optionalText(field: string) {
  return yup
    .string()
    .optional()
    .nonNullable(`${field}: is null; leave the field out when it did not change, or send a string`)
    .typeError(
      ({ value }: { value: unknown }) =>
        `${field}: ${show(value)} is ${jsonType(value)}; send a string, or leave the field out when it did not change`,
    );
}

/** What validateLine needs of a schema. */
export interface ContractSchema {
  validateSync(value: unknown, options: yup.ValidateOptions<ContractContext>): unknown;
}

const envelopeShape = {
  event_uuid: uuidSchema('event_uuid', "the event's unique id"),
  event_name: eventNameSchema,
  created_at: createdAtSchema,
};

const userUuid = uuidSchema('user_uuid', "the user's id");

/** Envelope only: events of a type without payload rules, and events whose event_name is not valid. */
export const envelopeSchema = yup.object(envelopeShape).strict();

/** Envelope + payload rules, by event_type. */
export const schemasByEventType: ReadonlyMap<string, ContractSchema> = new Map<string, ContractSchema>([
  ['account', yup.object({ ...envelopeShape, user_uuid: userUuid }).strict()],
  [
    'subscription',
    yup
      .object({
        ...envelopeShape,
        user_uuid: userUuid,
        language: requiredText('language', 'es'),
        subscription_type: optionalText('subscription_type'),
        subscription_status: optionalText('subscription_status'),
      })
      .strict(),
  ],
  [
    'lesson',
    yup.object({ ...envelopeShape, user_uuid: userUuid, language: requiredText('language', 'es') }).strict(),
  ],
]);

/**
 * UUID_RE as a hand loop for the fast path (the regex cost ~0.2 µs a call, two calls a line); yup's rule keeps
 * the regex, and the property test of tests/contract/schemas.test.ts holds the two equal on near-UUIDs.
 */
function isCanonicalUuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
      continue;
    }
    const lower = c | 0x20; // A-F to a-f; no other code unit becomes a hex digit this way
    if (!((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66))) return false;
  }
  return true;
}

function isUuid(value: unknown): boolean {
  return typeof value === 'string' && isCanonicalUuid(value) && value !== NIL_UUID;
}

function isText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

function isOptionalText(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** The payload rules of schemasByEventType as plain predicates, for the fast path. */
const payloadRules: ReadonlyMap<string, (body: Readonly<Record<string, unknown>>) => boolean> = new Map([
  ['account', (body: Readonly<Record<string, unknown>>) => isUuid(body.user_uuid)],
  [
    'subscription',
    (body: Readonly<Record<string, unknown>>) =>
      isUuid(body.user_uuid) &&
      isText(body.language) &&
      isOptionalText(body.subscription_type) &&
      isOptionalText(body.subscription_status),
  ],
  ['lesson', (body: Readonly<Record<string, unknown>>) => isUuid(body.user_uuid) && isText(body.language)],
]);

/**
 * Fast path: true only when `schemaFor(body)` would accept `body` (the same rules, written as plain predicates;
 * tests/contract/schemas.test.ts checks the two agree on generated bodies). yup then runs only for lines that
 * fail here, to give the reason and every message; a valid line costs no yup call.
 */
export function passesContract(body: Readonly<Record<string, unknown>>, context: ContractContext): boolean {
  const name = body.event_name;
  const createdAt = body.created_at;
  if (
    !isUuid(body.event_uuid) ||
    typeof name !== 'string' ||
    !EVENT_NAME_RE.test(name) ||
    typeof createdAt !== 'number' ||
    !isValidCreatedAt(createdAt, context)
  ) {
    return false;
  }
  const rule = payloadRules.get(name.slice(0, name.indexOf(':')));
  return rule === undefined || rule(body);
}

/** The schema to run for a parsed body: by event_type when event_name is valid, else the envelope alone. */
export function schemaFor(body: Readonly<Record<string, unknown>>): ContractSchema {
  const name = body.event_name;
  if (typeof name === 'string' && EVENT_NAME_RE.test(name)) {
    return schemasByEventType.get(name.slice(0, name.indexOf(':'))) ?? envelopeSchema;
  }
  return envelopeSchema;
}
