import { isUtf8 } from 'node:buffer';
import { InvalidInputError } from '../errors';

/**
 * Object-key rules shared by every ObjectStore adapter (folder and S3), so a key valid in one runtime is
 * valid in the other:
 * relative, `/`-separated, no empty, `.` or `..` segment, no backslash, no NUL, no segment starting with
 * the folder store's reserved temporary prefix, and (S3's own limit) at most 1024 UTF-8 bytes.
 */
export const RESERVED_SEGMENT_PREFIX = '.eventlake-tmp-';

/** S3 refuses keys longer than this many UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Checks a whole key; throws `InvalidInputError` naming the key and the rule it breaks. */
export function checkObjectKey(key: string): void {
  const rule = objectKeyProblem(key);
  if (rule !== undefined) throw invalidKey(String(key), rule);
}

/** The rule `key` breaks (e.g. `must not contain a backslash ...`), or undefined for a valid key. Never throws. */
export function objectKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'must not be empty';
  return characterProblem(key) ?? segmentProblem(key.split('/'));
}

/**
 * A list prefix is a folder part (whole segments, checked like a key) and a name part that may end
 * mid-name: `raw/2024/04/0` is folder `raw/2024/04` and names starting with `0`. `''` is the whole store.
 */
export function checkListPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw invalidKey(String(prefix), 'a list prefix must be a string');
  const lastSlash = prefix.lastIndexOf('/');
  const rule = characterProblem(prefix) ?? (lastSlash >= 0 ? segmentProblem(prefix.slice(0, lastSlash).split('/')) : undefined);
  if (rule !== undefined) throw invalidKey(prefix, rule);
}

/**
 * A key as it may appear in a URI for a SQL engine: a key, a folder (`curated/events/`), or `''` for
 * the store root. Glob characters pass through unchecked.
 */
export function checkUriKey(key: string): void {
  if (key === '') return;
  checkObjectKey(key.endsWith('/') ? key.slice(0, -1) : key);
}

function characterProblem(key: string): string | undefined {
  if (key.startsWith('/')) return 'must be relative to the store root (no leading "/")';
  if (key.includes('\\')) return 'must use "/" as the separator, not "\\" (a backslash)';
  if (key.includes('\0')) return 'must not contain a NUL character';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    return `must be at most ${MAX_KEY_BYTES} bytes of UTF-8 (an S3 limit), is ${Buffer.byteLength(key, 'utf8')}`;
  }
  return undefined;
}

function segmentProblem(segments: readonly string[]): string | undefined {
  for (const segment of segments) {
    if (segment === '') return 'must not contain an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'must not contain "." or ".." segments';
    if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) return `must not use the reserved prefix "${RESERVED_SEGMENT_PREFIX}"`;
  }
  return undefined;
}

const BACKSLASH = 0x5c;

/**
 * The key segment of a file name given as bytes, lossless and reversible (`unescapeFileName`): a name that
 * is valid UTF-8 without a backslash is its own key segment; any other name is escaped, `\\` standing for a
 * backslash and `\xHH` (upper-case hex) for each byte that is not part of valid UTF-8. So `caf` E9 `.gz`
 * is `caf\xE9.gz`. Escaped names always contain a backslash, which no valid key does: they can never
 * collide with, nor be read as, an object key (the key rules refuse them), and two different names never
 * share a key.
 */
export function escapeFileName(name: Buffer): string {
  if (isUtf8(name) && !name.includes(BACKSLASH)) return name.toString('utf8');
  let out = '';
  let at = 0;
  while (at < name.length) {
    const length = utf8SequenceLength(name, at);
    if (length === 0) {
      out += `\\x${name[at]!.toString(16).toUpperCase().padStart(2, '0')}`;
      at += 1;
    } else {
      const char = name.toString('utf8', at, at + length);
      out += char === '\\' ? '\\\\' : char;
      at += length;
    }
  }
  return out;
}

/** The file name bytes an `escapeFileName` key segment (or a whole key made of such segments) stands for. */
export function unescapeFileName(segment: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (let at = 0; at < segment.length; at++) {
    const char = segment[at]!;
    if (char !== '\\') {
      plain += char;
      continue;
    }
    parts.push(Buffer.from(plain, 'utf8'));
    plain = '';
    if (segment[at + 1] === '\\') {
      parts.push(Buffer.from('\\'));
      at += 1;
    } else if (segment[at + 1] === 'x' && /^[0-9A-F]{2}$/.test(segment.slice(at + 2, at + 4))) {
      parts.push(Buffer.from([Number.parseInt(segment.slice(at + 2, at + 4), 16)]));
      at += 3;
    } else {
      throw new InvalidInputError(`not an escaped file name: ${JSON.stringify(segment)} (a backslash must start "\\\\" or "\\xHH")`);
    }
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Length (1-4) of the valid UTF-8 sequence starting at `bytes[at]`, or 0 when none starts there (a stray
 * continuation byte, an overlong form, a surrogate, a value above U+10FFFF or a cut sequence).
 */
function utf8SequenceLength(bytes: Buffer, at: number): number {
  const b0 = bytes[at]!;
  if (b0 < 0x80) return 1;
  let length: number;
  let min: number;
  let max = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    min = b0 === 0xe0 ? 0xa0 : 0x80;
    if (b0 === 0xed) max = 0x9f; // U+D800..U+DFFF are surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    min = b0 === 0xf0 ? 0x90 : 0x80;
    if (b0 === 0xf4) max = 0x8f; // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (at + length > bytes.length) return 0;
  const b1 = bytes[at + 1]!;
  if (b1 < min || b1 > max) return 0;
  for (let i = 2; i < length; i++) if ((bytes[at + i]! & 0xc0) !== 0x80) return 0;
  return length;
}

function invalidKey(key: string, rule: string): InvalidInputError {
  return new InvalidInputError(`invalid object key ${JSON.stringify(key)}: ${rule}`);
}
