import type { SqlRow } from '../ports/sql-engine';

/** Text formats a result can be printed in (`parquet` is written by DuckDB itself: src/cli/query/local-query.ts). */
export type OutputFormat = 'table' | 'csv' | 'json' | 'ndjson';
export const OUTPUT_FORMATS = ['table', 'csv', 'json', 'ndjson', 'parquet'] as const;

/** Rows of a table shown before its column widths are fixed; later rows are cut to those widths. */
export const TABLE_WIDTH_SAMPLE = 1000;
const MAX_COLUMN_WIDTH = 60;

/**
 * Renders one result incrementally, so a large result streams in bounded memory: `begin` with the column
 * names, `rows` for each chunk, `end` once. Each call returns complete lines (text ending in a newline) or ''.
 */
export interface ResultWriter {
  begin(columns: readonly string[]): string;
  rows(rows: readonly (readonly unknown[])[]): string;
  end(): string;
}

function cell(value: unknown, nullText: string): string {
  if (value === null || value === undefined) return nullText;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value ?? null;
}

function rowObject(columns: readonly string[], row: readonly unknown[]): string {
  const object: Record<string, unknown> = {};
  columns.forEach((c, i) => (object[c] = jsonValue(row[i])));
  return JSON.stringify(object);
}

const lines = (items: string[]) => (items.length === 0 ? '' : `${items.join('\n')}\n`);

/** CSV (RFC 4180 quoting): a header line even when there are no rows; NULL is an empty field. */
function csvWriter(): ResultWriter {
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return {
    begin: (columns) => `${columns.map(quote).join(',')}\n`,
    rows: (rows) => lines(rows.map((r) => r.map((v) => quote(cell(v, ''))).join(','))),
    end: () => '',
  };
}

/** One JSON array of objects (one object per line); `[]` when there are no rows. */
function jsonWriter(): ResultWriter {
  let columns: readonly string[] = [];
  let pending: string | undefined;
  return {
    begin: (names) => {
      columns = names;
      return '';
    },
    rows: (rows) => {
      const out: string[] = [];
      for (const row of rows) {
        out.push(pending === undefined ? '[' : `  ${pending},`);
        pending = rowObject(columns, row);
      }
      return lines(out);
    },
    end: () => (pending === undefined ? '[]\n' : `  ${pending}\n]\n`),
  };
}

/** One JSON object per line (nothing when there are no rows). */
function ndjsonWriter(): ResultWriter {
  let columns: readonly string[] = [];
  return {
    begin: (names) => {
      columns = names;
      return '';
    },
    rows: (rows) => lines(rows.map((r) => rowObject(columns, r))),
    end: () => '',
  };
}

/**
 * A table for people: header, rule, rows, `(N rows)`; NULL shows as `NULL`. Column widths come from the
 * header and the first TABLE_WIDTH_SAMPLE rows (at most 60 characters); longer values are cut with `…`.
 */
function tableWriter(): ResultWriter {
  let columns: readonly string[] = [];
  let sample: string[][] | undefined = [];
  let widths: number[] = [];
  let count = 0;
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : s.padEnd(w));
  const line = (values: readonly string[]) => values.map((v, i) => fit(v.replace(/[\r\n]+/g, ' '), widths[i] ?? 0)).join(' | ').trimEnd();
  const flush = (): string => {
    const rows = sample ?? [];
    sample = undefined;
    widths = columns.map((c, i) => Math.min(MAX_COLUMN_WIDTH, Math.max(c.length, 1, ...rows.map((r) => (r[i] ?? '').length))));
    return lines([line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)]);
  };
  return {
    begin: (names) => {
      columns = names;
      return '';
    },
    rows: (rows) => {
      count += rows.length;
      const texts = rows.map((r) => r.map((v) => cell(v, 'NULL')));
      if (sample === undefined) return lines(texts.map(line));
      sample.push(...texts);
      return sample.length >= TABLE_WIDTH_SAMPLE ? flush() : '';
    },
    end: () => `${sample === undefined ? '' : flush()}(${count} row${count === 1 ? '' : 's'})\n`,
  };
}

export function resultWriter(format: OutputFormat): ResultWriter {
  switch (format) {
    case 'csv':
      return csvWriter();
    case 'json':
      return jsonWriter();
    case 'ndjson':
      return ndjsonWriter();
    case 'table':
      return tableWriter();
  }
}

/** Renders rows already in memory (Athena results, the demo's queries); without a trailing newline. */
export function formatRows(rows: readonly SqlRow[], format: OutputFormat, columns = rows[0] ? Object.keys(rows[0]) : []): string {
  const writer = resultWriter(format);
  const text = writer.begin(columns) + writer.rows(rows.map((r) => columns.map((c) => r[c]))) + writer.end();
  return text.replace(/\n$/, '');
}
