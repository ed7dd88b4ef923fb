import type { SqlValue } from '../../ports/sql-engine';

/**
 * What the Athena adapter needs to know about SQL text without parsing it: where statements end and
 * where `?` placeholders are, skipping quoted text ('...', "...", `...`) and comments (-- and /* * /).
 */

type Mode = 'code' | 'single' | 'double' | 'backtick' | 'line-comment' | 'block-comment';

interface Scan {
  /** The text split at top-level `;`, each part trimmed, parts holding only whitespace/comments dropped. */
  readonly statements: string[];
  /** Top-level `?` placeholders per statement. */
  readonly placeholders: number[];
  /** Index in `text` of every top-level `?`, in order. */
  readonly positions: number[];
}

/** Splits `text` into statements (Athena runs one per query) and counts each one's placeholders. */
export function scanStatements(text: string): Scan {
  const statements: string[] = [];
  const placeholders: number[] = [];
  const positions: number[] = [];
  let mode: Mode = 'code';
  let start = 0;
  let count = 0;
  let hasCode = false;

  const end = (at: number): void => {
    if (hasCode) {
      statements.push(text.slice(start, at).trim());
      placeholders.push(count);
    }
    start = at + 1;
    count = 0;
    hasCode = false;
  };

  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    const next = text[i + 1];
    switch (mode) {
      case 'code':
        if (c === ';') end(i);
        else if (c === '-' && next === '-') {
          mode = 'line-comment';
          i += 1;
        } else if (c === '/' && next === '*') {
          mode = 'block-comment';
          i += 1;
        } else {
          if (c === "'") mode = 'single';
          else if (c === '"') mode = 'double';
          else if (c === '`') mode = 'backtick';
          else if (c === '?') {
            count += 1;
            positions.push(i);
          }
          if (c !== undefined && !/\s/.test(c)) hasCode = true;
        }
        break;
      case 'single':
      case 'double':
      case 'backtick': {
        const quote = mode === 'single' ? "'" : mode === 'double' ? '"' : '`';
        if (c === quote) {
          // A doubled quote is an escaped quote inside the literal or identifier.
          if (next === quote) i += 1;
          else mode = 'code';
        }
        break;
      }
      case 'line-comment':
        if (c === '\n') mode = 'code';
        break;
      case 'block-comment':
        if (c === '*' && next === '/') {
          mode = 'code';
          i += 1;
        }
        break;
    }
  }
  end(text.length);
  return { statements, placeholders, positions };
}

/**
 * Binds values client-side: each top-level `?` of one statement becomes its Athena literal. Athena's own
 * execution parameters work only in SELECT / INSERT INTO / CTAS / UNLOAD and only in a WHERE clause, so
 * a DELETE, a MERGE or an INSERT with a value in its select list cannot use them. The values are escaped
 * by athenaLiteral (the same rendering ExecutionParameters would take), never concatenated raw.
 */
export function bindLiterals(text: string, literals: readonly string[]): string {
  const { positions } = scanStatements(text);
  if (positions.length !== literals.length) {
    throw new RangeError(`expects ${positions.length} parameter(s) for its ? placeholders, got ${literals.length}`);
  }
  return spliceAt(text, positions, literals);
}

/** `text` with the one character at each of `positions` (ascending) replaced by the value at the same index. */
export function spliceAt(text: string, positions: readonly number[], values: readonly string[]): string {
  let out = '';
  let from = 0;
  positions.forEach((at, i) => {
    out += text.slice(from, at) + (values[i] as string);
    from = at + 1;
  });
  return out + text.slice(from);
}

/**
 * A bound value as the Athena literal passed in ExecutionParameters (Athena substitutes it for a `?`):
 * strings single-quoted with `'` doubled, numbers as written, booleans, NULL.
 */
export function athenaLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'string':
      return `'${value.replace(/'/g, "''")}'`;
    case 'number':
      if (!Number.isFinite(value))
        throw new RangeError(`cannot bind ${value}: Athena parameters must be finite numbers`);
      return String(value);
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    default:
      throw new RangeError(`cannot bind a value of type ${typeof value}`);
  }
}
