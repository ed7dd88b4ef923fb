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
  if (typeof key !== 'string' || key.length === 0) throw invalidKey(String(key), 'must not be empty');
  checkCharacters(key);
  checkSegments(key, key.split('/'));
}

/**
 * A list prefix is a folder part (whole segments, checked like a key) and a name part that may end
 * mid-name: `raw/2024/04/0` is folder `raw/2024/04` and names starting with `0`. `''` is the whole store.
 */
export function checkListPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw invalidKey(String(prefix), 'a list prefix must be a string');
  checkCharacters(prefix);
  const lastSlash = prefix.lastIndexOf('/');
  if (lastSlash >= 0) checkSegments(prefix, prefix.slice(0, lastSlash).split('/'));
}

/**
 * A key as it may appear in a URI for a SQL engine: a key, a folder (`curated/events/`), or `''` for
 * the store root. Glob characters pass through unchecked.
 */
export function checkUriKey(key: string): void {
  if (key === '') return;
  checkObjectKey(key.endsWith('/') ? key.slice(0, -1) : key);
}

function checkCharacters(key: string): void {
  if (key.startsWith('/')) throw invalidKey(key, 'must be relative to the store root (no leading "/")');
  if (key.includes('\\')) throw invalidKey(key, 'must use "/" as the separator, not "\\"');
  if (key.includes('\0')) throw invalidKey(key, 'must not contain a NUL character');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw invalidKey(key, `must be at most ${MAX_KEY_BYTES} bytes of UTF-8 (an S3 limit)`);
  }
}

function checkSegments(key: string, segments: readonly string[]): void {
  for (const segment of segments) {
    if (segment === '') throw invalidKey(key, 'must not contain an empty segment ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') throw invalidKey(key, 'must not contain "." or ".." segments');
    if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) {
      throw invalidKey(key, `must not use the reserved prefix "${RESERVED_SEGMENT_PREFIX}"`);
    }
  }
}

function invalidKey(key: string, rule: string): InvalidInputError {
  return new InvalidInputError(`invalid object key ${JSON.stringify(key)}: ${rule}`);
}
