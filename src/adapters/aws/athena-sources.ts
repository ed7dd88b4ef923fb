import type { SqlStatement } from '../../ports/sql-engine';
import type { SqlSources } from '../../pipeline/sql-sources';

/** Glue table names inside the pipeline's database; the CDK catalog construct creates exactly these. */
export const ATHENA_TABLES = {
  /** Curated Iceberg table (Parquet), partitioned by event_type and event_date. */
  events: 'events',
  /** Iceberg staging table of classified rows, partitioned by batch_id. */
  classified: 'classified',
  /** External JSON table over staging/staged/batch_id=<id>/ (partition projection on batch_id). */
  staged: 'staged',
  /** External JSON table over quarantine/batch_id=<id>/ (partition projection on batch_id). */
  quarantine: 'quarantine',
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
 * Athena relations: all static table names (the batch is always a bound `batch_id = ?`), so the same
 * rendered text serves every batch and CDK can substitute MergeGroupQuery at deploy time.
 */
export class AthenaSources implements SqlSources {
  constructor(private readonly database: string) {}

  stagedSource(): Promise<string> {
    return Promise.resolve(athenaTable(this.database, ATHENA_TABLES.staged));
  }

  curatedSource(): Promise<string> {
    return Promise.resolve(athenaTable(this.database, ATHENA_TABLES.events));
  }

  classifiedTarget(): string {
    return athenaTable(this.database, ATHENA_TABLES.classified);
  }

  classifiedSource(): string {
    return athenaTable(this.database, ATHENA_TABLES.classified);
  }

  mergeTarget(): string {
    return athenaTable(this.database, ATHENA_TABLES.events);
  }

  batchRowsSource(): Promise<string> {
    return Promise.resolve(athenaTable(this.database, ATHENA_TABLES.events));
  }

  /** Classification is retried as a whole: clear the batch's earlier rows first (Iceberg DELETE). */
  beforeClassify(): readonly SqlStatement[] {
    return [
      {
        name: 'athena/clear_classified',
        text: `DELETE FROM ${athenaTable(this.database, ATHENA_TABLES.classified)} WHERE batch_id = ?`,
      },
    ];
  }
}

/** The identifiers CDK substitutes into the ASL's MergeGroupQuery. */
export function mergeGroupIdentifiers(database: string): { classified_source: string; merge_target: string } {
  const sources = new AthenaSources(database);
  return { classified_source: sources.classifiedSource(), merge_target: sources.mergeTarget() };
}
