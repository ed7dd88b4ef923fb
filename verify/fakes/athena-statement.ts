/**
 * What the Athena fake needs to know about one QueryString without a SQL parser: how many statements it
 * holds, what kind of statement it is (and so Athena's StatementType), which tables it reads and writes,
 * and where its `?` placeholders are. Quoted text ('...', "...", `...`) and comments (-- and /* *\/) are
 * skipped; a table is a (possibly quoted) `db.table` or `catalog.db.table` name after FROM, JOIN, INTO,
 * USING, UPDATE or TABLE (and after the leading keyword of MERGE / DELETE / OPTIMIZE / VACUUM), or a bare
 * name there that is not a WITH query's name (it then lives in the query's default database).
 */

export type StatementKind =
  | 'SELECT'
  | 'INSERT'
  | 'CTAS'
  | 'UNLOAD'
  | 'MERGE'
  | 'DELETE'
  | 'UPDATE'
  | 'OPTIMIZE'
  | 'VACUUM'
  | 'CREATE_TABLE'
  | 'CREATE_VIEW'
  | 'CREATE_DATABASE'
  | 'DROP'
  | 'ALTER'
  | 'MSCK'
  | 'SHOW'
  | 'DESCRIBE'
  | 'EXPLAIN'
  | 'OTHER';

export type StatementType = 'DML' | 'DDL' | 'UTILITY';

export interface TableRef {
  readonly database: string;
  readonly table: string;
}

export interface StatementAnalysis {
  /** Statements in the text (parts between top-level `;` that hold code). */
  readonly statements: number;
  readonly kind: StatementKind;
  /** Athena's QueryExecution.StatementType for this kind. */
  readonly statementType: StatementType;
  /** The table the statement writes (INSERT / MERGE / DELETE / UPDATE / CTAS / DDL target), if any. */
  readonly target?: TableRef;
  /** Tables the statement reads (MERGE / DELETE / UPDATE / OPTIMIZE / VACUUM read their target too). */
  readonly reads: readonly TableRef[];
  /** Offsets of the top-level `?` placeholders, in order. */
  readonly placeholders: readonly number[];
  /** How many placeholders come before any WHERE keyword. */
  readonly placeholdersOutsideWhere: number;
}

type Token =
  | { readonly type: 'word'; readonly text: string; readonly upper: string; readonly at: number }
  | { readonly type: 'quoted'; readonly text: string; readonly at: number }
  | { readonly type: 'string'; readonly at: number }
  | { readonly type: 'placeholder'; readonly at: number }
  | { readonly type: 'punct'; readonly text: string; readonly at: number };

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      for (; j < sql.length; j += 1) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            text += c;
            j += 1;
          } else break;
        } else text += sql[j];
      }
      tokens.push(c === "'" ? { type: 'string', at: i } : { type: 'quoted', text, at: i });
      i = j + 1;
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j] as string)) j += 1;
      const text = sql.slice(i, j);
      tokens.push({ type: 'word', text, upper: text.toUpperCase(), at: i });
      i = j;
    } else if (c === '?') {
      tokens.push({ type: 'placeholder', at: i });
      i += 1;
    } else {
      tokens.push({ type: 'punct', text: c, at: i });
      i += 1;
    }
  }
  return tokens;
}

const TABLE_CONTEXT = new Set(['FROM', 'JOIN', 'INTO', 'USING', 'UPDATE', 'TABLE']);
const NOT_TABLE = new Set([
  'SELECT',
  'WITH',
  'VALUES',
  'UNNEST',
  'LATERAL',
  'TABLE',
  'IF',
  'NOT',
  'EXISTS',
  'BIN_PACK',
]);

const STATEMENT_TYPES: Readonly<Record<StatementKind, StatementType>> = {
  SELECT: 'DML',
  INSERT: 'DML',
  CTAS: 'DML',
  UNLOAD: 'DML',
  MERGE: 'DML',
  DELETE: 'DML',
  UPDATE: 'DML',
  OPTIMIZE: 'DML',
  VACUUM: 'DML',
  CREATE_TABLE: 'DDL',
  CREATE_VIEW: 'DDL',
  CREATE_DATABASE: 'DDL',
  DROP: 'DDL',
  ALTER: 'DDL',
  MSCK: 'DDL',
  SHOW: 'UTILITY',
  DESCRIBE: 'UTILITY',
  EXPLAIN: 'UTILITY',
  OTHER: 'DDL',
};

/** Statement kinds whose written table comes right after their leading keywords. */
const READS_TARGET = new Set<StatementKind>(['MERGE', 'DELETE', 'UPDATE', 'OPTIMIZE', 'VACUUM']);

export function analyzeStatement(sql: string, defaultDatabase = 'default'): StatementAnalysis {
  const all = tokenize(sql);
  let statements = 0;
  let open = false;
  for (const token of all) {
    if (token.type === 'punct' && token.text === ';') {
      if (open) statements += 1;
      open = false;
    } else open = true;
  }
  if (open) statements += 1;
  const firstEnd = all.findIndex((token) => token.type === 'punct' && token.text === ';');
  const tokens = firstEnd < 0 ? all : all.slice(0, firstEnd);

  const words = tokens
    .filter((t): t is Extract<Token, { type: 'word' }> => t.type === 'word')
    .map((t) => t.upper);
  const kind = kindOf(words, tokens);
  const cteNames = new Set<string>();
  tokens.forEach((token, i) => {
    const as = tokens[i + 1];
    const paren = tokens[i + 2];
    if (
      (token.type === 'word' || token.type === 'quoted') &&
      as?.type === 'word' &&
      as.upper === 'AS' &&
      paren?.type === 'punct' &&
      paren.text === '('
    ) {
      cteNames.add(token.text.toLowerCase());
    }
  });

  const refs: { ref: TableRef; index: number }[] = [];
  // Parentheses holding a query (`(SELECT ...`, `(WITH ...`) keep FROM a table context; any other
  // parentheses (a call such as extract(year FROM d) or trim(x FROM y)) do not.
  const queryParens: boolean[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.type === 'punct' && token.text === '(') {
      const next = tokens[i + 1];
      queryParens.push(next?.type === 'word' && (next.upper === 'SELECT' || next.upper === 'WITH'));
      continue;
    }
    if (token.type === 'punct' && token.text === ')') {
      queryParens.pop();
      continue;
    }
    const inQuery = queryParens.length === 0 || queryParens[queryParens.length - 1] === true;
    const isContext =
      inQuery &&
      ((token.type === 'word' && TABLE_CONTEXT.has(token.upper)) ||
        (i === leadIndex(kind) && token.type === 'word'));
    if (!isContext) continue;
    let j = i + 1;
    // CREATE TABLE IF NOT EXISTS x / DROP TABLE IF EXISTS x
    while (
      tokens[j]?.type === 'word' &&
      ['IF', 'NOT', 'EXISTS'].includes((tokens[j] as { upper: string }).upper)
    )
      j += 1;
    const parts: string[] = [];
    while (tokens[j]?.type === 'word' || tokens[j]?.type === 'quoted') {
      const part = tokens[j] as { type: 'word' | 'quoted'; text: string; upper?: string };
      if (part.type === 'word' && parts.length === 0 && NOT_TABLE.has(part.upper as string)) break;
      parts.push(part.text.toLowerCase());
      const dot = tokens[j + 1];
      if (dot?.type === 'punct' && dot.text === '.') j += 2;
      else {
        j += 1;
        break;
      }
    }
    const after = tokens[j];
    if (
      parts.length === 0 ||
      (after?.type === 'punct' && after.text === '(' && parts.length === 1 && kind !== 'CREATE_TABLE')
    )
      continue;
    if (parts.length === 1 && cteNames.has(parts[0] as string)) continue;
    const table = parts[parts.length - 1] as string;
    const database = parts.length >= 2 ? (parts[parts.length - 2] as string) : defaultDatabase.toLowerCase();
    refs.push({ ref: { database, table }, index: i });
  }

  const writes =
    STATEMENT_TYPES[kind] === 'UTILITY' || kind === 'SELECT' || kind === 'UNLOAD' ? undefined : refs[0]?.ref;
  const same = (a: TableRef, b: TableRef) => a.database === b.database && a.table === b.table;
  const reads: TableRef[] = [];
  for (const { ref } of refs) {
    if (writes !== undefined && same(ref, writes) && !READS_TARGET.has(kind)) continue;
    if (!reads.some((r) => same(r, ref))) reads.push(ref);
  }
  if (writes !== undefined && READS_TARGET.has(kind) && !reads.some((r) => same(r, writes)))
    reads.unshift(writes);

  const placeholders: number[] = [];
  let placeholdersOutsideWhere = 0;
  let seenWhere = false;
  for (const token of tokens) {
    if (token.type === 'word' && token.upper === 'WHERE') seenWhere = true;
    if (token.type === 'placeholder') {
      placeholders.push(token.at);
      if (!seenWhere) placeholdersOutsideWhere += 1;
    }
  }
  return {
    statements,
    kind,
    statementType: STATEMENT_TYPES[kind],
    ...(writes !== undefined && STATEMENT_TYPES[kind] !== 'UTILITY' ? { target: writes } : {}),
    reads: kind === 'DROP' || kind === 'CREATE_TABLE' ? [] : reads,
    placeholders,
    placeholdersOutsideWhere,
  };
}

function kindOf(words: readonly string[], tokens: readonly Token[]): StatementKind {
  const first = tokens[0];
  if (first?.type === 'punct' && first.text === '(') return 'SELECT';
  switch (words[0]) {
    case 'SELECT':
    case 'WITH':
    case 'VALUES':
    case 'TABLE':
      return 'SELECT';
    case 'INSERT':
      return 'INSERT';
    case 'MERGE':
      return 'MERGE';
    case 'DELETE':
      return 'DELETE';
    case 'UPDATE':
      return 'UPDATE';
    case 'UNLOAD':
      return 'UNLOAD';
    case 'OPTIMIZE':
      return 'OPTIMIZE';
    case 'VACUUM':
      return 'VACUUM';
    case 'DROP':
      return 'DROP';
    case 'ALTER':
      return 'ALTER';
    case 'MSCK':
      return 'MSCK';
    case 'SHOW':
      return 'SHOW';
    case 'DESCRIBE':
    case 'DESC':
      return 'DESCRIBE';
    case 'EXPLAIN':
      return 'EXPLAIN';
    case 'CREATE': {
      const object = words.slice(1, 4).find((w) => ['TABLE', 'VIEW', 'DATABASE', 'SCHEMA'].includes(w));
      if (object === 'VIEW') return 'CREATE_VIEW';
      if (object === 'DATABASE' || object === 'SCHEMA') return 'CREATE_DATABASE';
      if (object !== 'TABLE') return 'OTHER';
      // CTAS: a top-level AS followed by SELECT, WITH or '(' (CREATE TABLE t [WITH (...)] AS SELECT ...).
      let depth = 0;
      for (let i = 0; i < tokens.length; i += 1) {
        const token = tokens[i] as Token;
        if (token.type === 'punct' && token.text === '(') depth += 1;
        if (token.type === 'punct' && token.text === ')') depth -= 1;
        const next = tokens[i + 1];
        if (
          depth === 0 &&
          token.type === 'word' &&
          token.upper === 'AS' &&
          ((next?.type === 'word' && (next.upper === 'SELECT' || next.upper === 'WITH')) ||
            (next?.type === 'punct' && next.text === '('))
        ) {
          return 'CTAS';
        }
      }
      return 'CREATE_TABLE';
    }
    default:
      return 'OTHER';
  }
}

/** Index of the keyword right before a statement's written table when no FROM/INTO/TABLE precedes it. */
function leadIndex(kind: StatementKind): number {
  if (kind === 'OPTIMIZE' || kind === 'VACUUM') return 0;
  return -1;
}
