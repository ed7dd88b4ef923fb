import type { QuarantineReason } from '../contract/reasons';
import { EVENT_CATALOG, LANGUAGES, NEUTRAL_EVENT_NAMES, PLATFORMS } from './catalog';
import { eventLine, lessonId, otherFields, renderCreatedAt, type Fields } from './payloads';
import type { Prng } from './prng';

/** What a malformed line is built from. */
export interface MalformedContext {
  readonly rng: Prng;
  /** Arrival time of the line (Unix seconds). */
  readonly arrival: number;
  /** No generated `created_at` goes below this (the run's start), so only the intended defect is wrong. */
  readonly minTime: number;
  /** A valid line written earlier (its bytes, no `\n`). */
  pickEarlier(): Buffer;
}

export interface MalformedLine {
  /** The reason the pipeline must quarantine the line with (never written into the data). */
  readonly reason: QuarantineReason;
  readonly variant: string;
  readonly line: string | Buffer;
}

interface Variant {
  readonly name: string;
  build(ctx: MalformedContext): string | Buffer;
}

interface Base {
  readonly uuid: string;
  readonly name: string;
  readonly createdAt: number;
  readonly fields: Fields;
}

/**
 * The 256 KiB line limit (bytes). too_large lines exceed it, and too_deep lines exceed the depth limit of
 * 32, by a wide margin, so the label does not depend on how a validator counts (envelope included or not).
 */
const MAX_LINE_BYTES = 256 * 1024;
const LESSON_NAMES = EVENT_CATALOG.map((e) => e.name).filter((n) => n.startsWith('lesson:'));
const GARBAGE = [
  '<html><body><h1>502 Bad Gateway</h1></body></html>',
  'undefined',
  'NaN',
  'event_name=app:opened&created_at=1712511721',
  '}{',
];

/** A valid, ASCII-only event that is neither account, subscription nor lesson: the canvas for one defect. */
function base(ctx: MalformedContext): Base {
  const rng = ctx.rng;
  const name = rng.pick(NEUTRAL_EVENT_NAMES);
  const t = Math.max(ctx.arrival - rng.float() * 90, ctx.minTime);
  return {
    uuid: rng.uuid(),
    name,
    createdAt: renderCreatedAt(rng, t),
    fields: otherFields(rng, name, rng.uuid()),
  };
}

function valid(b: Base): string {
  return eventLine(b.uuid, b.name, b.createdAt, b.fields);
}

/** Envelope members as raw JSON texts; a member set to undefined is left out of the line. */
interface RawEnvelope {
  event_uuid?: string | undefined;
  event_name?: string | undefined;
  created_at?: string | undefined;
}

/**
 * The base event with some envelope members replaced by raw JSON texts (or dropped), and `extra` raw
 * members appended after the fields.
 */
function rewritten(b: Base, replace: RawEnvelope, extra = ''): string {
  const envelope: Record<keyof RawEnvelope, string | undefined> = {
    event_uuid: JSON.stringify(b.uuid),
    event_name: JSON.stringify(b.name),
    created_at: String(b.createdAt),
    ...replace,
  };
  const members = Object.entries(envelope).flatMap(([k, v]) => (v === undefined ? [] : [`"${k}":${v}`]));
  members.push(JSON.stringify(b.fields).slice(1, -1));
  if (extra !== '') members.push(extra);
  return `{${members.join(',')}}`;
}

/** `{"level":{"level":...0...}}` nested `depth` times. */
function nestedObjects(depth: number): string {
  return '{"level":'.repeat(depth) + '0' + '}'.repeat(depth);
}

/** A line with raw bytes `bad` inside the string value of an extra `nickname` field. */
function withBytes(b: Base, bad: readonly number[]): Buffer {
  const text = rewritten(b, {}, '"nickname":"ab\u0001cd"');
  const [before, after] = text.split('\u0001') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(bad), Buffer.from(after)]);
}

/** A variant built on a fresh valid base event. */
function v(name: string, build: (b: Base, ctx: MalformedContext) => string | Buffer): Variant {
  return { name, build: (ctx) => build(base(ctx), ctx) };
}

/**
 * Each class of the bad-input table (docs/reliability.md#bad-input) that applies to a single line, with the
 * quarantine reason docs/contract.md#quarantine gives it. Every line carries exactly one defect, so the
 * reason does not depend on the order in which a validator runs its checks.
 */
export const MALFORMED_CLASSES: readonly {
  readonly reason: QuarantineReason;
  readonly variants: readonly Variant[];
}[] = [
  {
    reason: 'not_json',
    variants: [
      v('truncated', (b, ctx) => {
        const line = valid(b);
        return line.slice(0, ctx.rng.between(20, line.length - 2));
      }),
      v('two_objects', (b, ctx) => valid(b) + valid(base(ctx))),
      v('single_quotes', (b) => valid(b).replace(/"/g, "'")),
      v('trailing_comma', (b) => valid(b).slice(0, -1) + ',}'),
      v('unquoted_keys', (b) => valid(b).replace(/"([a-z_]+)":/g, '$1:')),
      v('garbage', (_b, ctx) => ctx.rng.pick(GARBAGE)),
    ],
  },
  {
    reason: 'not_an_object',
    variants: [
      v('array', (b) => `[${valid(b)}]`),
      v('number', (_b, ctx) => String(Math.floor(ctx.arrival))),
      // A double-encoded event: the line is a JSON string holding the event's JSON.
      v('string', (b) => JSON.stringify(valid(b))),
      v('null', () => 'null'),
      v('boolean', () => 'true'),
    ],
  },
  {
    reason: 'missing_field',
    variants: [
      v('no_event_uuid', (b) => rewritten(b, { event_uuid: undefined })),
      v('no_event_name', (b) => rewritten(b, { event_name: undefined })),
      v('no_created_at', (b) => rewritten(b, { created_at: undefined })),
      v('null_event_uuid', (b) => rewritten(b, { event_uuid: 'null' })),
      v('null_created_at', (b) => rewritten(b, { created_at: 'null' })),
    ],
  },
  {
    reason: 'invalid_uuid',
    variants: [
      v('braced', (b) => valid({ ...b, uuid: `{${b.uuid}}` })),
      v('nil', (b) => valid({ ...b, uuid: '00000000-0000-0000-0000-000000000000' })),
      v('too_short', (b) => valid({ ...b, uuid: b.uuid.slice(0, 35) })),
      v('not_hex', (b) => valid({ ...b, uuid: `z${b.uuid.slice(1)}` })),
      v('not_a_string', (b, ctx) => rewritten(b, { event_uuid: String(ctx.rng.between(1, 99999)) })),
    ],
  },
  {
    reason: 'invalid_event_name',
    variants: [
      v('one_part', (b) => valid({ ...b, name: b.name.split(':')[0]! })),
      v('upper_case', (b) => valid({ ...b, name: b.name.replace(/(^|:)([a-z])/g, (m) => m.toUpperCase()) })),
      v('space', (b) => valid({ ...b, name: b.name.replace(':', ': ') })),
      v('empty_part', (b) => valid({ ...b, name: b.name.replace(':', '::') })),
      v('trailing_colon', (b) => valid({ ...b, name: `${b.name}:` })),
      v('hyphen', (b) => valid({ ...b, name: `${b.name}-v2` })),
    ],
  },
  {
    reason: 'invalid_created_at',
    variants: [
      v('string', (b, ctx) => rewritten(b, { created_at: `"${Math.floor(ctx.arrival)}"` })),
      v('milliseconds', (b, ctx) => valid({ ...b, createdAt: Math.floor(ctx.arrival * 1000) })),
      v('negative', (b, ctx) => valid({ ...b, createdAt: -Math.floor(ctx.arrival) })),
      v('before_2000', (b, ctx) => valid({ ...b, createdAt: ctx.rng.between(100_000_000, 946_684_799) })),
      // At least two days after arrival: "> 1 day ahead" whatever stands in for arrival (line, object, hour).
      v('future', (b, ctx) =>
        valid({ ...b, createdAt: Math.floor(ctx.arrival) + 86_400 * ctx.rng.between(2, 30) }),
      ),
      // Valid JSON that JSON.parse reads as Infinity.
      v('infinite', (b) => rewritten(b, { created_at: '1e999' })),
    ],
  },
  {
    reason: 'too_large',
    variants: [
      v('ascii', (b) => rewritten(b, {}, `"debug_dump":"${'x'.repeat(MAX_LINE_BYTES + 8_000)}"`)),
      // 135,000 characters but 270,000 bytes: only a byte count catches it.
      v('multibyte', (b) => rewritten(b, {}, `"note":"${'é'.repeat(135_000)}"`)),
    ],
  },
  {
    reason: 'too_deep',
    variants: [
      v('objects_40', (b) => rewritten(b, {}, `"context":${nestedObjects(40)}`)),
      v('arrays_64', (b) => rewritten(b, {}, `"context":${'['.repeat(64)}${']'.repeat(64)}`)),
      // Deep enough to overflow the stack of a recursive walker.
      v('objects_5000', (b) => rewritten(b, {}, `"context":${nestedObjects(5000)}`)),
    ],
  },
  {
    reason: 'duplicate_key',
    variants: [
      v('event_uuid', (b, ctx) => rewritten(b, {}, `"event_uuid":"${ctx.rng.uuid()}"`)),
      v('event_name', (b, ctx) => rewritten(b, {}, `"event_name":"${ctx.rng.pick(NEUTRAL_EVENT_NAMES)}"`)),
      v('created_at', (b) => rewritten(b, {}, `"created_at":${b.createdAt}`)),
    ],
  },
  {
    reason: 'forbidden_key',
    variants: [
      v('__proto__', (b) => rewritten(b, {}, '"__proto__":{"is_admin":true}')),
      v('constructor', (b) => rewritten(b, {}, '"constructor":{"prototype":{"is_admin":true}}')),
    ],
  },
  {
    reason: 'invalid_characters',
    variants: [
      v('lone_high_surrogate', (b) => rewritten(b, {}, '"nickname":"max\\ud800"')),
      v('lone_low_surrogate', (b) => rewritten(b, {}, '"nickname":"\\udfffmax"')),
      v('nul', (b) => rewritten(b, {}, '"nickname":"max\\u0000power"')),
    ],
  },
  {
    reason: 'invalid_utf8',
    variants: [
      v('byte_ff', (b) => withBytes(b, [0xff])),
      v('latin1', (b) => withBytes(b, [0x63, 0x61, 0x66, 0xe9])),
      v('overlong', (b) => withBytes(b, [0xc0, 0xaf])),
      v('cut_sequence', (b) => withBytes(b, [0xe2, 0x82])),
      v('encoded_surrogate', (b) => withBytes(b, [0xed, 0xa0, 0x80])),
    ],
  },
  {
    reason: 'invalid_payload',
    variants: [
      v('lesson_without_user_uuid', (b, ctx) => {
        const language = ctx.rng.pick(LANGUAGES);
        const fields = {
          language,
          lesson_id: lessonId(ctx.rng, language),
          platform: ctx.rng.pick(PLATFORMS),
        };
        return valid({ ...b, name: ctx.rng.pick(LESSON_NAMES), fields });
      }),
    ],
  },
  {
    reason: 'duplicate_conflict',
    variants: [
      v('reused_uuid', (b, ctx) => {
        const earlier = ctx.pickEarlier();
        // Every valid line starts with {"event_uuid":"<36 characters>".
        const uuid = earlier.toString('latin1', 15, 51);
        const line = valid({ ...b, uuid });
        return line === earlier.toString('utf8') ? rewritten({ ...b, uuid }, {}, '"retry":true') : line;
      }),
    ],
  },
];

/** Builds malformed line number `m` (0-based): classes in turn, then each class's variants in turn. */
export function malformedLine(m: number, ctx: MalformedContext): MalformedLine {
  const cls = MALFORMED_CLASSES[m % MALFORMED_CLASSES.length]!;
  const variant = cls.variants[Math.floor(m / MALFORMED_CLASSES.length) % cls.variants.length]!;
  return { reason: cls.reason, variant: variant.name, line: variant.build(ctx) };
}
