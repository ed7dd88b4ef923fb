import { athenaIdentifiers } from './athena-tables';
import { ConfigError } from '../errors';
import type { SqlValue } from '../ports/sql-engine';
import { renderSql, sqlManifest } from '../sql/render';
import type { AthenaBinding } from './registry';

type ParamKind = 'string' | 'number';

/**
 * SQL text as a list of code chunks and `?` slots: `--` comments dropped, whitespace outside quotes
 * collapsed to one space, a trailing `;` removed. Two texts that differ only in layout give the same chunks.
 */
function normalizeSql(sql: string): { chunks: string[] } {
  const chunks: string[] = [''];
  let i = 0;
  let pendingSpace = false;
  let started = false;
  const space = () => {
    if (pendingSpace && started) chunks[chunks.length - 1] += ' ';
    pendingSpace = false;
  };
  const emit = (text: string) => {
    space();
    chunks[chunks.length - 1] += text;
    started = true;
  };
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      pendingSpace = true;
    } else if (/\s/.test(ch)) {
      pendingSpace = true;
      i++;
    } else if (ch === "'") {
      let end = i + 1;
      for (;;) {
        end = sql.indexOf("'", end);
        if (end === -1) throw new ConfigError('unterminated string literal in SQL template');
        if (sql[end + 1] === "'") end += 2;
        else break;
      }
      emit(sql.slice(i, end + 1));
      i = end + 1;
    } else if (ch === '?') {
      space();
      chunks.push('');
      started = true;
      i++;
    } else {
      emit(ch);
      i++;
    }
  }
  const last = chunks.length - 1;
  chunks[last] = (chunks[last] as string).replace(/;\s*$/, '');
  return { chunks };
}

/** The Athena text of a native state's statement, with identifiers filled and `?` slots. */
function athenaStatement(sql: string, database: string): string {
  const entry = sqlManifest()[sql];
  if (entry === undefined) throw new ConfigError(`sql/manifest.json has no statement "${sql}"`);
  const all = athenaIdentifiers(database);
  return renderSql('athena', sql, Object.fromEntries(entry.identifiers.map((id) => [id, all[id] as string]))).text;
}

/**
 * The QueryString of a native Athena Task state, as the `States.Format` template its ASL fills. Athena
 * accepts execution parameters only in SELECT / INSERT INTO / CTAS / UNLOAD
 * (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html), so DELETE and MERGE
 * cannot take them: no native state sends ExecutionParameters, yet each has values, which its ASL passes as
 * `States.Format` arguments into the text (MergeGroup: batch id, group, event_type and event_date bounds).
 * They come from our own state (a hex batch id, dates, integers, validated event types), never from payloads.
 *
 * Each `?` becomes `{}` (numbers) or `'{}'` (strings); `' { } \` are escaped with a backslash as
 * intrinsic-function string literals require
 * (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#amazon-states-language-intrinsic-functions-escapes);
 * comments are dropped and whitespace collapsed.
 */
export function statesFormatTemplate(sql: string, params: readonly ParamKind[]): string {
  const { chunks } = normalizeSql(sql);
  if (chunks.length - 1 !== params.length) {
    throw new ConfigError(`SQL template has ${chunks.length - 1} ? but ${params.length} declared params`);
  }
  const escape = (text: string) => text.replace(/['{}\\]/g, (ch) => `\\${ch}`);
  let out = escape(chunks[0] as string);
  params.forEach((kind, index) => {
    out += (kind === 'string' ? "\\'{}\\'" : '{}') + escape(chunks[index + 1] as string);
  });
  return out;
}

/** The substitution for an `athena` registry binding: its Athena SQL as a States.Format template. */
export function athenaStateQuery(binding: AthenaBinding, database: string): string {
  return statesFormatTemplate(athenaStatement(binding.sql, database), binding.params);
}

/** One SQL literal as Athena text spells it (athenaLiteral and `'{}'` both give these forms). */
const LITERAL = String.raw`('(?:[^']|'')*'|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|NULL|TRUE|FALSE)`;

function parseLiteral(text: string): SqlValue {
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (text === 'NULL') return null;
  if (text === 'TRUE' || text === 'FALSE') return text === 'TRUE';
  return Number(text);
}

export interface RecognizedStatement {
  /** The sql/manifest.json statement name. */
  readonly name: string;
  /** The values in its `?` slots, in order. */
  readonly params: SqlValue[];
}

const matchers = new Map<string, { name: string; pattern: RegExp }[]>();

/**
 * Recognises Athena SQL text (a native state's formatted QueryString, or what AthenaEngine sends with its
 * values bound as literals) as one of sql/athena/*.sql over `database`, and reads its values back. Only
 * our own templates are recognised: anything else answers undefined.
 */
export function recognizeAthenaStatement(text: string, database: string): RecognizedStatement | undefined {
  let list = matchers.get(database);
  if (list === undefined) {
    list = [];
    for (const name of Object.keys(sqlManifest())) {
      const { chunks } = normalizeSql(athenaStatement(name, database));
      const escaped = chunks.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      list.push({ name, pattern: new RegExp(`^${escaped.join(LITERAL)}$`) });
    }
    matchers.set(database, list);
  }
  let normalized: string;
  try {
    normalized = normalizeSql(text).chunks.join('?');
  } catch {
    return undefined;
  }
  for (const { name, pattern } of list) {
    const match = pattern.exec(normalized);
    if (match) return { name, params: match.slice(1).map((m) => parseLiteral(m)) };
  }
  return undefined;
}
