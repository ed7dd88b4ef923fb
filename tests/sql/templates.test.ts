import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasStatement, renderSql, sqlManifest, sqlTemplate, type SqlDialect } from '../../src/sql/render';
import { ATHENA_TABLES } from '../../src/workflow/athena-tables';

const DIALECTS: SqlDialect[] = ['duckdb', 'athena'];
const statements = Object.entries(sqlManifest());

/** `?` outside string literals and comments. */
function countParams(sql: string): number {
  const code = sql.replace(/--[^\n]*/g, '').replace(/'(?:[^']|'')*'/g, "''");
  return (code.match(/\?/g) ?? []).length;
}

describe('sql/ templates', () => {
  it('has a file per manifest entry in each dialect, and no file outside the manifest', () => {
    for (const dialect of DIALECTS) {
      const files = readdirSync(join(__dirname, '..', '..', 'sql', dialect)).map((f) => f.replace(/\.sql$/, '')).sort();
      expect(files).toEqual(statements.filter(([name]) => hasStatement(dialect, name)).map(([name]) => name).sort());
    }
  });

  it.each(statements.flatMap(([name, entry]) => DIALECTS.filter((d) => hasStatement(d, name)).map((d) => [d, name, entry] as const)))(
    '%s/%s uses exactly its manifest identifiers and as many ? as manifest params',
    (dialect, name, entry) => {
      const text = sqlTemplate(dialect, name);
      const used = [...new Set([...text.matchAll(/\{\{([a-z_]+)\}\}/g)].map((m) => m[1]))].sort();
      expect(used).toEqual([...entry.identifiers].sort());
      expect(countParams(text)).toBe(entry.params.length);
    },
  );

  it('renders every statement with identifiers only, leaving no slot behind', () => {
    for (const [name, entry] of statements) {
      const ids = Object.fromEntries(entry.identifiers.map((id) => [id, `"db"."${id}"`]));
      for (const dialect of DIALECTS.filter((d) => hasStatement(d, name))) expect(renderSql(dialect, name, ids).text).not.toMatch(/\{\{|\}\}/);
    }
  });

  it('refuses a missing or unknown identifier, naming the statement', () => {
    expect(() => renderSql('duckdb', 'merge_group', { classified_source: 'x' })).toThrow(/merge_group.*takes identifiers \[classified_source, merge_target\]/);
    expect(() => renderSql('duckdb', 'nope', {})).toThrow(/no statement "nope"/);
    expect(() => renderSql('duckdb', 'clear_classified', { classified_target: 'x' })).toThrow(/has no duckdb form/);
  });

  it('names Athena tables the catalog creates', () => {
    expect(Object.values(ATHENA_TABLES).sort()).toEqual(['classified', 'erased_users', 'erasure_salt', 'events_all_batches', 'quarantine_all_batches', 'staged']);
  });
});
