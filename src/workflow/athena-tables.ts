/**
 * Glue table names inside the pipeline's database that the pipeline reads and writes; the CDK catalog
 * construct creates these, and beside them the analysts' committed-only views `events` and `quarantine`
 * over `events_all_batches` / `quarantine_all_batches` (cdk/constructs/catalog.ts, docs/state-machine.md).
 */
export const ATHENA_TABLES = {
  /**
   * Curated Iceberg table (Parquet), partitioned by event_type and event_date: every row MERGE committed,
   * batches not committed yet included (the pipeline's dedup, merge and verify read it; analysts read `events`).
   */
  events: 'events_all_batches',
  /** Iceberg staging table of classified rows, partitioned by batch_id. */
  classified: 'classified',
  /** External JSON table over staging/staged/batch_id=<id>/ (partition projection on batch_id). */
  staged: 'staged',
  /** External JSON table over quarantine/batch_id=<id>/ (partition projection on batch_id), every batch's records. */
  quarantine: 'quarantine_all_batches',
  /** External JSON table over erasures/log/: one row (`user_hash`) per forgotten user's erasure record. */
  erasedUsers: 'erased_users',
  /** External JSON table over erasures/: the lake's salt (`salt`, from erasures/salt.json). */
  erasureSalt: 'erasure_salt',
} as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,254}$/;

/** `"database"."table"`, refusing names that would need escaping. */
export function athenaTable(database: string, table: string): string {
  for (const name of [database, table]) {
    if (!IDENTIFIER.test(name)) throw new RangeError(`not a plain Glue identifier: ${name}`);
  }
  return `"${database}"."${table}"`;
}

/**
 * Every identifier slot of sql/athena/*.sql, as Athena names it: all static table names (the batch is always
 * a value, `batch_id = ?`), so the same rendered text serves every batch and CDK can substitute the native
 * states' SQL at deploy time.
 */
export function athenaIdentifiers(database: string): Readonly<Record<string, string>> {
  const table = (name: string) => athenaTable(database, name);
  return {
    staged_source: table(ATHENA_TABLES.staged),
    curated_source: table(ATHENA_TABLES.events),
    erased_users_source: table(ATHENA_TABLES.erasedUsers),
    erasure_salt_source: table(ATHENA_TABLES.erasureSalt),
    classified_target: table(ATHENA_TABLES.classified),
    classified_source: table(ATHENA_TABLES.classified),
    merge_target: table(ATHENA_TABLES.events),
    batch_rows_source: table(ATHENA_TABLES.events),
    compaction_source: table(ATHENA_TABLES.events),
    forget_curated_target: table(ATHENA_TABLES.events),
    forget_classified_target: table(ATHENA_TABLES.classified),
    optimize_target: athenaTableUnquoted(database, ATHENA_TABLES.events),
    vacuum_target: athenaTableUnquoted(database, ATHENA_TABLES.events),
    vacuum_classified_target: athenaTableUnquoted(database, ATHENA_TABLES.classified),
  };
}

/**
 * `database.table` without quotes, for OPTIMIZE and VACUUM: their syntax is `OPTIMIZE [db_name.]table_name`
 * and `VACUUM [database_name.]target_table`, and VACUUM takes a name that needs quoting only in backticks,
 * "double quotes will not work in place of backticks"
 * (https://docs.aws.amazon.com/athena/latest/ug/optimize-statement.html,
 * https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html). Plain names need no quoting: a name
 * starting with an underscore (the one case that does) is refused.
 */
export function athenaTableUnquoted(database: string, table: string): string {
  athenaTable(database, table);
  for (const name of [database, table]) {
    if (name.startsWith('_')) throw new RangeError(`OPTIMIZE/VACUUM would need backticks around ${name}`);
  }
  return `${database}.${table}`;
}
