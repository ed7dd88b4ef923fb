import { readFile } from 'node:fs/promises';
import { UsageError, type CliIo } from '../io';
import { savedQueries, similarNames, type SavedQuery } from '../../sql/saved-queries';

/** The SQL of `query --saved NAME`: sql/queries/NAME.sql; an unknown name is a usage error with the closest names. */
export function readSavedSql(name: string, queries: readonly SavedQuery[] = savedQueries()): string {
  const query = queries.find((q) => q.name === name);
  if (query !== undefined) return query.text;
  const similar = similarNames(name, queries.map((q) => q.name));
  const hint = similar.length > 0 ? ` (Did you mean ${similar.join(' or ')}?)` : '';
  throw new UsageError(`unknown saved query '${name}'${hint}; eventlake query --list lists them`);
}

/** `query --list`: one line per saved query, its name and what it answers (the file's first comment). */
export function savedQueryList(queries: readonly SavedQuery[] = savedQueries()): string {
  const width = Math.max(...queries.map((q) => q.name.length));
  return queries.map((q) => `${q.name.padEnd(width)}  ${q.description}`).join('\n');
}

/**
 * The SQL of `query`: the arguments (joined by spaces), `-` for stdin, or `--file PATH` (`--file -` is stdin
 * too), or `--saved NAME` (sql/queries/NAME.sql). SQL starting with a `--` comment goes after `--`
 * (`eventlake query -- "-- note..."`) or in a file.
 */
export async function readSql(words: readonly string[], file: string | undefined, io: CliIo, saved?: string): Promise<string> {
  if (saved !== undefined) {
    if (words.length > 0 || file !== undefined) throw new UsageError('give the SQL as an argument, with --file or with --saved, not two of them');
    return readSavedSql(saved);
  }
  if (words.length > 0 && file !== undefined) throw new UsageError('give the SQL as an argument or with --file, not both');
  let sql: string;
  if (file === '-' || (file === undefined && words.length === 1 && words[0] === '-')) {
    if (!io.readStdin) throw new UsageError('no stdin to read the SQL from');
    sql = await io.readStdin();
  } else if (file !== undefined) {
    try {
      sql = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--file ${file}: cannot read it (${(error as Error).message})`);
    }
  } else {
    sql = words.join(' ');
  }
  if (sql.trim() === '') throw new UsageError('query needs SQL, e.g. eventlake query "SELECT count(*) FROM events" (or --file PATH, or - for stdin)');
  return sql;
}
