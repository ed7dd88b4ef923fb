import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import type { SqlStatement } from '../ports/sql-engine';

export type SqlDialect = 'duckdb' | 'athena';

interface ManifestEntry {
  readonly identifiers: readonly string[];
  readonly params: readonly string[];
  /** The dialects that have this statement (default: all). */
  readonly dialects?: readonly SqlDialect[];
}

/** Whether sql/<dialect>/<name>.sql exists by the manifest. */
export function hasStatement(dialect: SqlDialect, name: string): boolean {
  const entry = sqlManifest()[name];
  return entry !== undefined && (entry.dialects === undefined || entry.dialects.includes(dialect));
}

/**
 * Where sql/ is: EVENTLAKE_SQL_DIR if set, the repository's sql/ (source and tests), or sql/ beside a
 * bundled Lambda (CDK copies it next to index.js).
 */
function findSqlRoot(): string {
  const candidates = [process.env.EVENTLAKE_SQL_DIR, join(__dirname, '..', '..', 'sql'), join(__dirname, 'sql')];
  const root = candidates.find((dir) => dir !== undefined && dir !== '' && existsSync(join(dir, 'manifest.json')));
  if (root === undefined) throw new ConfigError(`sql/manifest.json not found in ${candidates.filter(Boolean).join(', ')}`);
  return root;
}

let sqlRoot: string | undefined;
const SQL_ROOT = () => (sqlRoot ??= findSqlRoot());
const PLACEHOLDER = /\{\{([a-z_]+)\}\}/g;

let manifestCache: Record<string, ManifestEntry> | undefined;
const textCache = new Map<string, string>();

export function sqlManifest(): Record<string, ManifestEntry> {
  manifestCache ??= (
    JSON.parse(readFileSync(join(SQL_ROOT(), 'manifest.json'), 'utf8')) as { statements: Record<string, ManifestEntry> }
  ).statements;
  return manifestCache;
}

export function sqlTemplate(dialect: SqlDialect, name: string): string {
  const file = join(SQL_ROOT(), dialect, `${name}.sql`);
  let text = textCache.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8');
    textCache.set(file, text);
  }
  return text;
}

/**
 * Fills a template's `{{identifier}}` slots. Only identifiers (tables, file locations, relation
 * expressions built by our own code) are templated; values are bound with `?` by the engine.
 * Throws when an identifier is missing, unknown, or the statement is not in sql/manifest.json.
 */
export function renderSql(dialect: SqlDialect, name: string, identifiers: Readonly<Record<string, string>>): SqlStatement {
  const entry = sqlManifest()[name];
  if (!entry) throw new ConfigError(`sql/manifest.json has no statement "${name}"`);
  if (!hasStatement(dialect, name)) throw new ConfigError(`sql statement "${name}" has no ${dialect} form`);
  const expected = [...entry.identifiers].sort();
  const given = Object.keys(identifiers).sort();
  if (expected.join(',') !== given.join(',')) {
    throw new ConfigError(
      `sql statement "${name}" takes identifiers [${expected.join(', ')}], was given [${given.join(', ')}]`,
    );
  }
  const text = sqlTemplate(dialect, name).replace(PLACEHOLDER, (_match, id: string) => {
    const value = identifiers[id];
    if (value === undefined) throw new ConfigError(`sql/${dialect}/${name}.sql uses {{${id}}}, not in its manifest entry`);
    return value;
  });
  return { name: `${dialect}/${name}`, text };
}

/** A file path or URI as a SQL string literal; refuses quotes rather than escaping them. */
export function sqlPathLiteral(path: string): string {
  if (/['\\\n\r]/.test(path)) throw new ConfigError(`path not usable in SQL (quote, backslash or newline): ${path}`);
  return `'${path}'`;
}
