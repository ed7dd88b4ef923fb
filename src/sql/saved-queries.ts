import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * The analysts' saved queries: one file per query in sql/queries/, named `<name>.sql`, whose first line is a
 * `--` comment saying what it answers. The same text runs on both runtimes, unchanged: locally over the
 * DuckDB views (`eventlake query --saved NAME`) and on AWS as an Athena named query in the stack's workgroup
 * (cdk/constructs/catalog.ts). So each uses only SQL that DuckDB and Athena engine v3 (Trino) both accept
 * (docs/analyst-queries.md; tests/sql/saved-queries-portable.test.ts checks the functions).
 */
export const SAVED_QUERIES_DIR = join(__dirname, '..', '..', 'sql', 'queries');

export interface SavedQuery {
  /** The file name without `.sql`: what `--saved` takes and the Athena named query's name. */
  readonly name: string;
  /** The first `--` comment line, without the dashes: what the query answers. */
  readonly description: string;
  readonly text: string;
}

/** Every saved query, by name. */
export function savedQueries(dir: string = SAVED_QUERIES_DIR): SavedQuery[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const description = /^--\s*(.+)$/m.exec(text)?.[1]?.trim() ?? '';
      return { name: basename(file, '.sql'), description, text };
    });
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The names closest to `name`: within a third of its length in edits (at least 1), or names that contain it
 * (`--saved freshness` -> data_freshness). Empty when nothing is close.
 */
export function similarNames(name: string, names: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(name.length / 3));
  const scored = names.map((candidate) => ({ candidate, distance: editDistance(name, candidate) })).filter((s) => s.distance <= limit);
  const best = Math.min(...scored.map((s) => s.distance));
  const close = scored.filter((s) => s.distance === best).map((s) => s.candidate);
  return close.length > 0 ? close : names.filter((candidate) => name.length >= 3 && candidate.includes(name));
}
