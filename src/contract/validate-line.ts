/**
 * One raw line in, one verdict out: `blank`, `valid` (with the derived fields of docs/contract.md §5) or
 * `invalid` with one reason from the closed enum and every problem found. Never throws on any line content.
 *
 * Checks run cheapest first and the first failing check gives the reason:
 *  1. too_large          more than MAX_LINE_BYTES bytes (after BOM/CR strip), or a head cut by the reader
 *  2. (blank)            empty or only white space -> `{ kind: 'blank' }`
 *  3. invalid_utf8       not valid UTF-8
 *  4. invalid_characters NUL (raw or `\u0000`) or a lone surrogate escape
 *  5. too_deep           nesting deeper than MAX_DEPTH (found by a scan before JSON.parse builds anything)
 *  6. not_json           JSON.parse fails: not JSON, truncated line, two values on one line
 *  7. duplicate_key      a top-level key twice (JSON.parse would silently keep the last)
 *  8. forbidden_key      `__proto__` / `constructor` / `prototype` as a key at any depth
 *  9. not_an_object      top-level array, number, string, boolean or null
 * 10. missing_field / invalid_uuid / invalid_event_name / invalid_created_at   the envelope (yup, strict)
 * 11. invalid_payload    the payload rules of account:*, subscription:*, lesson:*
 *
 * Envelope and payload are one yup schema per event type (src/contract/schemas.ts). A plain-predicate copy of
 * the same rules (`passesContract`) lets a valid line skip yup; yup runs once for any line that fails it, and
 * its verdict and messages are the ones returned.
 *
 * duplicate_key and forbidden_key are checked on the scan's findings but reported only for lines that are JSON:
 * a broken line is `not_json` whatever keys it holds.
 */
import { isUtf8 } from 'node:buffer';
import { ValidationError } from 'yup';
import { InvalidInputError } from '../errors';
import type { QuarantineReason } from './reasons';
import type { LineResult, ValidEvent } from './types';
import { toUtcTimestamp } from './datetime';
import { MAX_DEPTH, MAX_FUTURE_SECONDS, MAX_LINE_BYTES } from './limits';
import { duplicateTopLevelKeys, findInvalidCharacter, scanStructure } from './scan';
import {
  ENVELOPE_FIELDS,
  INVALID_REASON,
  passesContract,
  schemaFor,
  show,
  type ContractContext,
  type EnvelopeField,
} from './schemas';

export interface ValidateLineOptions {
  /** When the line arrived (ms since the epoch, e.g. the raw object's time); bounds `created_at` from above. */
  readonly arrivalMs: number;
  /** True for the first line of an object: a leading UTF-8 BOM (EF BB BF) is stripped. */
  readonly isFirstLine?: boolean;
  /**
   * The line's real size in bytes when `line` holds only its head (see `RawLine` in src/raw/read-object.ts).
   * A `sizeBytes` larger than `line.length` makes the line `too_large`: it was not read whole.
   */
  readonly sizeBytes?: number;
}

function invalid(reason: QuarantineReason, errors: readonly string[]): LineResult {
  return { kind: 'invalid', reason, errors };
}

/** 0x20 space, 0x09 tab, 0x0b vertical tab, 0x0c form feed, 0x0d CR, 0x0a LF. */
function isBlank(line: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = line[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a && b !== 0x0b && b !== 0x0c) return false;
  }
  return true;
}

/** Byte offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** A key as the field name that starts a message: bare when it is a plain name, else JSON-quoted and cut. */
function fieldLabel(key: string): string {
  return /^[A-Za-z0-9_$.-]{1,64}$/.test(key) ? key : show(key);
}

/** How many keys a parsed object has, without building the array `Object.keys` would (one per line). */
function ownKeyCount(object: object): number {
  let count = 0;
  // JSON.parse builds plain objects whose prototype holds no enumerable keys: for-in sees only their own.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only the count matters
  for (const key in object) count++;
  return count;
}

function describeTopLevel(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Rank of an error path: envelope fields first in their order, payload fields after. */
function pathRank(path: string | undefined): number {
  const index = ENVELOPE_FIELDS.indexOf(path as EnvelopeField);
  return index === -1 ? ENVELOPE_FIELDS.length : index;
}

function envelopeVerdict(body: Readonly<Record<string, unknown>>, error: ValidationError): LineResult {
  const inner = error.inner.length > 0 ? error.inner : [error];
  const sorted = inner
    .map((e, order) => ({ e, order, rank: pathRank(e.path) }))
    .sort((a, b) => a.rank - b.rank || a.order - b.order);
  let reason: QuarantineReason | undefined;
  for (const field of ENVELOPE_FIELDS) {
    if (body[field] === undefined || body[field] === null) {
      reason = 'missing_field';
      break;
    }
  }
  if (reason === undefined) {
    const first = sorted[0];
    const field = first?.e.path as EnvelopeField | undefined;
    reason =
      first !== undefined && first.rank < ENVELOPE_FIELDS.length ? INVALID_REASON[field!] : 'invalid_payload';
  }
  const errors: string[] = [];
  for (const { e } of sorted) errors.push(...e.errors);
  return invalid(reason, errors);
}

function deriveEvent(body: Readonly<Record<string, unknown>>, payload: string, payloadBytes: Buffer): ValidEvent {
  const eventName = body.event_name as string;
  const firstColon = eventName.indexOf(':');
  const secondColon = eventName.indexOf(':', firstColon + 1);
  const createdAt = body.created_at as number;
  const { created_datetime, event_date } = toUtcTimestamp(createdAt);
  const userUuid = body.user_uuid;
  const language = body.language;
  return {
    event_uuid: (body.event_uuid as string).toLowerCase(),
    event_name: eventName,
    event_type: eventName.slice(0, firstColon),
    event_subtype: eventName.slice(firstColon + 1, secondColon === -1 ? undefined : secondColon),
    created_at: createdAt,
    created_datetime,
    event_date,
    user_uuid: typeof userUuid === 'string' ? userUuid.toLowerCase() : null,
    language: typeof language === 'string' ? language : null,
    body,
    payload,
    payloadBytes,
  };
}

/**
 * Validates one line (without its `\n`). A trailing `\r` is stripped, and a leading BOM when `isFirstLine`.
 * Throws only when `options.arrivalMs` is not a finite number (a caller bug, not bad data).
 */
export function validateLine(line: Buffer, options: ValidateLineOptions): LineResult {
  const { arrivalMs } = options;
  if (!Number.isFinite(arrivalMs)) {
    throw new InvalidInputError(
      `validateLine: arrivalMs must be a finite number of ms, got ${String(arrivalMs)}`,
    );
  }
  let start = 0;
  let end = line.length;
  if (end > 0 && line[end - 1] === 0x0d) end--;
  if (options.isFirstLine === true && end >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) {
    start = 3;
  }

  const cut = options.sizeBytes !== undefined && options.sizeBytes > line.length;
  const size = cut ? options.sizeBytes : end - start;
  if (size > MAX_LINE_BYTES) {
    return invalid('too_large', [
      `line: ${size} bytes is larger than the limit of ${MAX_LINE_BYTES} bytes (256 KiB); send smaller events (move large data out of the event)`,
    ]);
  }
  if (cut) {
    return invalid('too_large', [
      `line: ${size} bytes was cut to its first ${line.length} bytes by the reader's line limit, so it cannot be validated; send smaller events`,
    ]);
  }
  if (isBlank(line, start, end)) return { kind: 'blank' };

  const bytes = start === 0 && end === line.length ? line : line.subarray(start, end);
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8Offset(bytes);
    const at = offset === -1 ? '' : ` at byte ${offset} (0x${bytes[offset]!.toString(16).padStart(2, '0')})`;
    return invalid('invalid_utf8', [
      `line: not valid UTF-8${at}; send events encoded as UTF-8 (not Latin-1 or Windows-1252)`,
    ]);
  }
  const text = bytes.toString('utf8');

  const badCharacter = findInvalidCharacter(text);
  if (badCharacter !== null) return invalid('invalid_characters', [badCharacter]);

  const scan = scanStructure(text);
  if (scan.maxDepth > MAX_DEPTH) {
    return invalid('too_deep', [
      `line: nesting depth ${scan.maxDepth} is deeper than the limit of ${MAX_DEPTH}; flatten the event`,
    ]);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const detail = (error as { message?: unknown }).message;
    return invalid('not_json', [
      `line: not valid JSON (${String(detail)}); send exactly one JSON object per line`,
    ]);
  }

  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (isObject && scan.topLevelKeyCount !== ownKeyCount(parsed as object)) {
    const duplicates = duplicateTopLevelKeys(text);
    return invalid(
      'duplicate_key',
      duplicates.length === 0
        ? ['line: a top-level key appears more than once; send each key once']
        : duplicates.map(
            (key) =>
              `${fieldLabel(key)}: key appears more than once at the top level (only the last would be kept); send each key once`,
          ),
    );
  }
  if (scan.forbiddenKey !== null) {
    return invalid('forbidden_key', [
      `${scan.forbiddenKey}: key "${scan.forbiddenKey}" is not allowed at any depth (prototype pollution); rename the field`,
    ]);
  }
  if (!isObject) {
    return invalid('not_an_object', [
      `line: the top-level value is ${describeTopLevel(parsed)}, not an object; send exactly one JSON object per line (an array of events goes one event per line)`,
    ]);
  }

  const body = parsed as Readonly<Record<string, unknown>>;
  const context: ContractContext = { arrivalMs, maxCreatedAt: arrivalMs / 1000 + MAX_FUTURE_SECONDS };
  if (!passesContract(body, context)) {
    try {
      schemaFor(body).validateSync(body, {
        strict: true,
        abortEarly: false,
        disableStackTrace: true,
        context,
      });
    } catch (error) {
      if (error instanceof ValidationError) return envelopeVerdict(body, error);
      throw error;
    }
  }
  return { kind: 'valid', event: deriveEvent(body, text, bytes) };
}
