import { ConfigError } from '../errors';
import { renderSql } from '../sql/render';
import type { AthenaBinding } from './registry';

/**
 * The QueryString of a native Athena Task state, as the `States.Format` template its ASL fills:
 * Athena accepts execution parameters only in SELECT / INSERT INTO / CTAS / UNLOAD, and only in a WHERE
 * clause, so a MERGE cannot take `ExecutionParameters`. The state formats its values into the text
 * instead; they come from our own state (a hex batch id, an integer group), never from event data.
 *
 * Each `?` outside quotes becomes `{}` (numbers) or `'{}'` (strings); the characters `' { } \` are
 * escaped with a backslash as intrinsic-function string literals require; `--` comments are dropped.
 */
export function statesFormatTemplate(sql: string, params: readonly ('string' | 'number')[]): string {
  let out = '';
  let used = 0;
  let i = 0;
  const escape = (ch: string) => (ch === "'" || ch === '{' || ch === '}' || ch === '\\' ? `\\${ch}` : ch);
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === "'") {
      const end = sql.indexOf("'", i + 1);
      if (end === -1) throw new ConfigError('unterminated string literal in SQL template');
      for (const c of sql.slice(i, end + 1)) out += escape(c);
      i = end + 1;
    } else if (ch === '?') {
      const kind = params[used++];
      if (kind === undefined) throw new ConfigError(`SQL template has more ? than the ${params.length} declared params`);
      out += kind === 'string' ? "\\'{}\\'" : '{}';
      i++;
    } else {
      out += escape(ch);
      i++;
    }
  }
  if (used !== params.length) throw new ConfigError(`SQL template has ${used} ? but ${params.length} declared params`);
  return out.replace(/\n{2,}/g, '\n').trim();
}

/** The substitution for an `athena` registry binding: its Athena SQL as a States.Format template. */
export function athenaStateQuery(binding: AthenaBinding, identifiers: Readonly<Record<string, string>>): string {
  return statesFormatTemplate(renderSql('athena', binding.sql, identifiers).text, binding.params);
}

/** What a MergeGroup state's deterministic ClientRequestToken encodes (the local runtime reads it back). */
export function parseMergeToken(token: unknown): { batchId: string; group: number } {
  const match = typeof token === 'string' ? /^eventlake-merge-([0-9a-f]{32})-(\d+)$/.exec(token) : null;
  if (!match) throw new ConfigError(`MergeGroup: unexpected ClientRequestToken ${JSON.stringify(token)}`);
  return { batchId: match[1] as string, group: Number(match[2]) };
}
