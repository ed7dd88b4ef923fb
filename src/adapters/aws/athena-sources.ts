import type { SqlSources } from '../../ports/sql-sources';
import { athenaIdentifiers } from '../../workflow/athena-tables';

/** Athena relations (see athenaIdentifiers). */
export class AthenaSources implements SqlSources {
  private readonly ids: Readonly<Record<string, string>>;

  constructor(database: string) {
    this.ids = athenaIdentifiers(database);
  }

  stagedSource(): Promise<string> {
    return Promise.resolve(this.ids.staged_source as string);
  }

  curatedSource(): Promise<string> {
    return Promise.resolve(this.ids.curated_source as string);
  }

  erasedUsersSource(): Promise<string> {
    return Promise.resolve(this.ids.erased_users_source as string);
  }

  erasureSaltSource(): Promise<string> {
    return Promise.resolve(this.ids.erasure_salt_source as string);
  }

  classifiedTarget(): string {
    return this.ids.classified_target as string;
  }

  classifiedSource(): string {
    return this.ids.classified_source as string;
  }

  mergeTarget(): string {
    return this.ids.merge_target as string;
  }

  batchRowsSource(): Promise<string> {
    return Promise.resolve(this.ids.batch_rows_source as string);
  }
}
