import { athenaTable } from '../../src/workflow/athena-tables';
import type { ColumnSpec } from './catalog-schemas';

/**
 * Athena views kept in the Glue Data Catalog as tables, the form Athena itself stores for `CREATE VIEW`:
 * `TableType: VIRTUAL_VIEW`, the view's definition base64-encoded in `ViewOriginalText`
 * (Glue TableInput: "ViewOriginalText ... If the table is a VIRTUAL_VIEW, certain Athena configuration
 * encoded in base64", https://docs.aws.amazon.com/glue/latest/webapi/API_TableInput.html; Athena reads views
 * "created ... in the AWS Glue Data Catalog", https://docs.aws.amazon.com/athena/latest/ug/considerations-limitations-views.html).
 * AWS does not document the encoded text beyond that sentence: its shape is the Presto/Trino Hive-metastore
 * view format Athena's engine reads (`/* Presto View: <base64 JSON> *\/`, JSON fields originalSql, catalog,
 * schema, columns [{name, type}]; Trino's ViewReaderUtil / TrinoViewUtil,
 * https://github.com/trinodb/trino/blob/master/plugin/trino-hive/src/main/java/io/trino/plugin/hive/ViewReaderUtil.java),
 * with table parameters `presto_view=true`, `comment=Presto View` and `ViewExpandedText: /* Presto View *\/`.
 * Athena compares the declared columns with what the SQL yields when the view is queried and reports a
 * stale view when they differ (https://docs.aws.amazon.com/athena/latest/ug/considerations-limitations-views.html:
 * "Athena displays an error message when it detects stale views"), so the columns are generated from the
 * same ColumnSpec lists as the tables, and the SQL names every column.
 */
export interface PrestoViewDefinition {
  readonly originalSql: string;
  readonly catalog: string;
  readonly schema: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

const PREFIX = '/* Presto View: ';
const SUFFIX = ' */';
/** ViewExpandedText of every Presto view. */
export const PRESTO_VIEW_EXPANDED_TEXT = '/* Presto View */';
/** The table parameters Athena sets on a view. */
export const PRESTO_VIEW_PARAMETERS: Readonly<Record<string, string>> = { presto_view: 'true', comment: 'Presto View' };
/** Athena's name for the Glue Data Catalog ("the awsdatacatalog data source", https://docs.aws.amazon.com/athena/latest/ug/understanding-tables-databases-and-the-data-catalog.html). */
export const ATHENA_GLUE_CATALOG = 'awsdatacatalog';

export function encodePrestoView(definition: PrestoViewDefinition): string {
  return `${PREFIX}${Buffer.from(JSON.stringify(definition), 'utf8').toString('base64')}${SUFFIX}`;
}

export function decodePrestoView(viewOriginalText: string): PrestoViewDefinition {
  if (!viewOriginalText.startsWith(PREFIX) || !viewOriginalText.endsWith(SUFFIX)) {
    throw new Error(`not a Presto view text: ${viewOriginalText.slice(0, 40)}`);
  }
  const json = Buffer.from(viewOriginalText.slice(PREFIX.length, -SUFFIX.length), 'base64').toString('utf8');
  return JSON.parse(json) as PrestoViewDefinition;
}

/**
 * The committed-only view of a table: its rows whose batch has a committed marker, the same filter the local
 * `events` and `quarantine` views apply (src/cli/lake-views.ts). Every column is named (a later column
 * added to the table does not make the view stale).
 */
export function committedViewSql(database: string, base: string, columns: readonly ColumnSpec[], committedBatches: string): string {
  const list = columns.map((c) => `"${c.name}"`).join(', ');
  return (
    `SELECT ${list} FROM ${athenaTable(database, base)} ` +
    `WHERE "batch_id" IN (SELECT "batch_id" FROM ${athenaTable(database, committedBatches)})`
  );
}
