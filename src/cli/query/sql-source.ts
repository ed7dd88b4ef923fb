import { readFile } from 'node:fs/promises';
import { UsageError, type CliIo } from '../io';

/**
 * The SQL of `query`: the arguments (joined by spaces), `-` for stdin, or `--file PATH` (`--file -` is stdin
 * too). SQL starting with a `--` comment goes after `--` (`eventlake query -- "-- note..."`) or in a file.
 */
export async function readSql(words: readonly string[], file: string | undefined, io: CliIo): Promise<string> {
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
