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
}

/** Splits `text` into statements (Athena runs one per query) and counts each one's placeholders. */
export function scanStatements(text: string): Scan {
  const statements: string[] = [];
  const placeholders: number[] = [];
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
          else if (c === '?') count += 1;
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
  return { statements, placeholders };
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
