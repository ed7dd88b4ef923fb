/**
 * Cheap checks on a line's text that run before JSON.parse:
 * - `findInvalidCharacter`: NUL characters (raw or `\u0000`) and lone surrogates (`\ud800` without its pair).
 * - `scanStructure`: one pass that measures nesting depth, counts top-level keys and spots forbidden keys
 *   (`__proto__`, `constructor`, `prototype`) at any depth, without building anything.
 *
 * Both are total: they never throw, whatever the text (it may not be JSON at all).
 */
import { FORBIDDEN_KEYS, MAX_DEPTH } from './limits';

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const LOWER_U = 0x75;

/** Value of 4 hex digits at `at`, or -1 when they are not 4 hex digits. */
function hex4(text: string, at: number): number {
  if (at + 4 > text.length) return -1;
  let value = 0;
  for (let k = at; k < at + 4; k++) {
    const c = text.charCodeAt(k);
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) digit = c - 0x41 + 10;
    else return -1;
    value = value * 16 + digit;
  }
  return value;
}

/**
 * Describes the first NUL or lone surrogate in `text` (as a quarantine error message), or null when there is none.
 * Fast path: text without a NUL and without `\u` is not scanned.
 */
export function findInvalidCharacter(text: string): string | null {
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    return `line: raw NUL character at position ${nul}; remove NUL characters from the event`;
  }
  if (text.indexOf('\\u') === -1) return null;
  // Escapes never overlap and are read left to right, so walking every backslash from the first one pairs them
  // the way JSON.parse does (`\\u0000` is an escaped backslash followed by the text "u0000", not a NUL).
  let i = text.indexOf('\\');
  while (i !== -1) {
    if (text.charCodeAt(i + 1) !== LOWER_U) {
      i = text.indexOf('\\', i + 2);
      continue;
    }
    const code = hex4(text, i + 2);
    if (code === 0) {
      return `line: escaped NUL character \\u0000 at position ${i}; remove NUL characters from the event`;
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      const low =
        text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === LOWER_U ? hex4(text, i + 8) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) {
        i = text.indexOf('\\', i + 12);
        continue;
      }
      return `line: lone surrogate ${text.slice(i, i + 6)} at position ${i} (a high surrogate without its low half); send valid Unicode text`;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      return `line: lone surrogate ${text.slice(i, i + 6)} at position ${i} (a low surrogate without its high half); send valid Unicode text`;
    }
    i = text.indexOf('\\', i + 2);
  }
  return null;
}

/** What one pass over a line's text found. */
export interface StructureScan {
  /** Deepest nesting of `{` / `[` outside strings; the top-level object is depth 1. */
  readonly maxDepth: number;
  /** Keys of the top-level object, duplicates included (compare with the parsed object's key count). */
  readonly topLevelKeyCount: number;
  /** The first forbidden key met at any depth (decoded), or null. */
  readonly forbiddenKey: string | null;
  /**
   * True when the text is one whole container: brackets balanced, no unterminated string, no second
   * top-level object or array. Key findings only mean something when this is true.
   */
  readonly complete: boolean;
}

/** 1 = object, 2 = array, per depth; depths past the array's end are only counted. */
const containerStack = new Uint8Array(MAX_DEPTH + 2);
const OBJECT = 1;

function decodeKey(quoted: string): string | null {
  try {
    const decoded: unknown = JSON.parse(quoted);
    return typeof decoded === 'string' ? decoded : null;
  } catch {
    return null;
  }
}

/**
 * One pass over `text`. Strings are skipped with `indexOf`, so the cost is about one `charCodeAt` per character
 * outside strings. When `topLevelKeys` is given, the decoded top-level keys are pushed to it (slow path, used only
 * to name duplicates). Scanning stops counting keys once the text is known to be too deep.
 */
export function scanStructure(text: string, topLevelKeys?: string[]): StructureScan {
  const n = text.length;
  let depth = 0;
  let maxDepth = 0;
  let topLevelKeyCount = 0;
  let forbiddenKey: string | null = null;
  let expectKey = false;
  let roots = 0;
  // Position of the next backslash at or after the current string, so a key is known to hold escapes in O(1).
  let nextBackslash = text.indexOf('\\');
  if (nextBackslash === -1) nextBackslash = n;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      if (nextBackslash < start) {
        nextBackslash = text.indexOf('\\', start);
        if (nextBackslash === -1) nextBackslash = n;
      }
      let end = text.indexOf('"', start + 1);
      while (end !== -1 && nextBackslash < end) {
        let b = end - 1;
        while (text.charCodeAt(b) === BACKSLASH) b--;
        if (((end - 1 - b) & 1) === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) {
        return { maxDepth, topLevelKeyCount, forbiddenKey, complete: false };
      }
      if (expectKey) {
        expectKey = false;
        if (depth === 1) topLevelKeyCount++;
        const escaped = nextBackslash < end;
        const length = end - start - 1;
        if (escaped || length === 9 || length === 11 || (topLevelKeys !== undefined && depth === 1)) {
          const key = escaped ? decodeKey(text.slice(start, end + 1)) : text.slice(start + 1, end);
          if (key !== null) {
            if (forbiddenKey === null && FORBIDDEN_KEYS.includes(key)) forbiddenKey = key;
            if (topLevelKeys !== undefined && depth === 1) topLevelKeys.push(key);
          }
        }
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      // `{` or `[`
      if (depth === 0 && roots++ > 0) {
        return { maxDepth, topLevelKeyCount, forbiddenKey, complete: false };
      }
      depth++;
      if (depth > maxDepth) maxDepth = depth;
      if (depth < containerStack.length) containerStack[depth] = c === 0x7b ? OBJECT : 2;
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      // `}` or `]`
      depth--;
      expectKey = false;
      if (depth < 0) return { maxDepth, topLevelKeyCount, forbiddenKey, complete: false };
    } else if (c === 0x2c) {
      // `,`
      expectKey = depth < containerStack.length && containerStack[depth] === OBJECT;
    }
    i++;
  }
  return { maxDepth, topLevelKeyCount, forbiddenKey, complete: depth === 0 };
}

/** The decoded top-level keys of `text` that occur more than once, in order of their second occurrence. */
export function duplicateTopLevelKeys(text: string): string[] {
  const keys: string[] = [];
  scanStructure(text, keys);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const key of keys) {
    if (seen.has(key) && !duplicates.includes(key)) duplicates.push(key);
    seen.add(key);
  }
  return duplicates;
}
