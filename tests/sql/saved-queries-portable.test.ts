import { DuckDBInstance } from '@duckdb/node-api';
import { READER_OBJECTS } from '../../cdk/constructs/catalog';
import { savedQueries } from '../../src/sql/saved-queries';

/**
 * The saved queries run unchanged on DuckDB (the local views) and on Athena engine v3 as named queries.
 * DuckDB runs each of them in tests/sql/saved-queries.test.ts; nothing here runs Trino, so this test holds
 * each query to the SQL both engines document the same way:
 * - every function called is in PORTABLE_FUNCTIONS, documented by Trino (Athena engine v3: "Functions in Athena
 *   engine version 3 are based on Trino", https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html)
 *   and by DuckDB with the same meaning;
 * - no DuckDB-only syntax (`::` casts, GROUP BY ALL, QUALIFY, ...);
 * - every division is a DOUBLE division: Trino divides integers as integers ("Division of integers
 *   truncates", https://trino.io/docs/current/functions/math.html), DuckDB's `/` gives a double;
 * - only the relations both runtimes have: the views events and quarantine, the table (local view) committed_batches;
 * - a name and a first-line description Athena accepts for a named query (Name 1-128 characters, Description
 *   1-1024: https://docs.aws.amazon.com/athena/latest/APIReference/API_NamedQuery.html), one statement.
 */
const TRINO = 'https://trino.io/docs/current/functions';
const DUCKDB = 'https://duckdb.org/docs/stable/sql/functions';
const PORTABLE_FUNCTIONS: Readonly<Record<string, readonly [trino: string, duckdb: string]>> = {
  count: [`${TRINO}/aggregate.html`, `${DUCKDB}/aggregates.html`],
  sum: [`${TRINO}/aggregate.html`, `${DUCKDB}/aggregates.html`],
  max: [`${TRINO}/aggregate.html`, `${DUCKDB}/aggregates.html`],
  min: [`${TRINO}/aggregate.html`, `${DUCKDB}/aggregates.html`],
  round: [`${TRINO}/math.html`, `${DUCKDB}/numeric.html`],
  coalesce: [`${TRINO}/conditional.html`, `${DUCKDB}/utility.html`],
  nullif: [`${TRINO}/conditional.html`, `${DUCKDB}/utility.html`],
  substr: [`${TRINO}/string.html`, `${DUCKDB}/text.html`],
  length: [`${TRINO}/string.html`, `${DUCKDB}/text.html`],
  hour: [`${TRINO}/datetime.html`, `${DUCKDB}/datepart.html`],
  map_keys: [`${TRINO}/map.html`, `${DUCKDB}/map.html`],
  cast: [`${TRINO}/conversion.html`, 'https://duckdb.org/docs/stable/sql/expressions/cast.html'],
  // FROM ... CROSS JOIN UNNEST(array) AS t (column): https://trino.io/docs/current/sql/select.html#unnest
  unnest: ['https://trino.io/docs/current/sql/select.html', 'https://duckdb.org/docs/stable/sql/query_syntax/unnest.html'],
};
/** Words followed by `(` that are syntax, not function calls. */
const KEYWORDS = new Set(['as', 'in', 'and', 'or', 'not', 'exists', 'over', 'from', 'join', 'select', 'with', 'values']);
const DUCKDB_ONLY: readonly [RegExp, string][] = [
  [/::/, ':: casts (use CAST(x AS type))'],
  [/\bgroup\s+by\s+all\b/i, 'GROUP BY ALL'],
  [/\border\s+by\s+all\b/i, 'ORDER BY ALL'],
  [/\bqualify\b/i, 'QUALIFY'],
  [/\bexclude\s*\(/i, 'SELECT * EXCLUDE'],
  [/^\s*from\b/i, 'FROM-first queries'],
  [/"[^"]*"/, 'double-quoted text (identifiers need no quotes here; strings take single quotes)'],
];

/** The query without comments and string literals: what the checks read. */
function code(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/'(?:[^']|'')*'/g, "''");
}

/** Names followed by `(` that call a function: not keywords, not the column list of an alias (`AS r (reason)`). */
function calledFunctions(text: string): string[] {
  return [...code(text).matchAll(/(?<!\bas\s+)\b([a-z_][a-z0-9_]*)\s*\(/gi)].map((m) => (m[1] as string).toLowerCase()).filter((f) => !KEYWORDS.has(f));
}

describe('saved queries use SQL that DuckDB and Athena (Trino) both accept', () => {
  const queries = savedQueries();

  it.each(queries.map((q) => [q.name, q] as const))('%s calls only functions both engines document', (_name, query) => {
    expect(calledFunctions(query.text).filter((f) => PORTABLE_FUNCTIONS[f] === undefined)).toEqual([]);
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s has no DuckDB-only syntax and divides as DOUBLE', (_name, query) => {
    const text = code(query.text);
    const divisions = text.split('/').length - 1;
    const doubleDivisions = [...text.matchAll(/\bAS\s+DOUBLE\s*\)\s*\//gi)].length;

    expect(DUCKDB_ONLY.filter(([pattern]) => pattern.test(text)).map(([, what]) => what)).toEqual([]);
    expect(doubleDivisions).toBe(divisions);
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s reads only the analysts\' relations', (_name, query) => {
    const relations = [...code(query.text).matchAll(/\b(?:from|join)\s+([a-z_][a-z0-9_.]*)/gi)].map((m) => m[1] as string);
    const ctes = [...code(query.text).matchAll(/\b([a-z_][a-z0-9_]*)\s+as\s*\(/gi)].map((m) => m[1] as string);
    const allowed = new Set<string>([READER_OBJECTS.events, READER_OBJECTS.quarantine, READER_OBJECTS.committedBatches, ...ctes, 'unnest']);

    expect(relations.length).toBeGreaterThan(0);
    expect(relations.filter((r) => !allowed.has(r.toLowerCase()))).toEqual([]);
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s is one statement, with a name and description Athena accepts', async (_name, query) => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const statements = await connection.extractStatements(query.text);
      expect(statements.count).toBe(1);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    expect(query.name).toMatch(/^[a-z0-9_]{1,128}$/);
    expect(query.text.startsWith('-- ')).toBe(true);
    expect(query.description.length).toBeGreaterThan(0);
    expect(query.description.length).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(query.text, 'utf8')).toBeLessThanOrEqual(262_144);
  });

  it('the checks catch what they are for', () => {
    const bad = "SELECT date_diff('second', a, b), x::int, count(*) / 2 FROM events CROSS JOIN UNNEST(l) AS r (v) GROUP BY ALL";
    expect(calledFunctions(bad).filter((f) => PORTABLE_FUNCTIONS[f] === undefined)).toEqual(['date_diff']);
    expect(DUCKDB_ONLY.filter(([pattern]) => pattern.test(code(bad))).map(([, what]) => what)).toEqual([':: casts (use CAST(x AS type))', 'GROUP BY ALL']);
    expect([...code(bad).matchAll(/\bAS\s+DOUBLE\s*\)\s*\//gi)].length).toBe(0);
  });
});
