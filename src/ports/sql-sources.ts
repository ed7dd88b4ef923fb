/**
 * The relations the batch SQL reads and writes, per engine: DuckDB reads files in the lake folder,
 * Athena reads Glue tables. Each method returns an identifier fragment for src/sql/render.ts.
 */
export interface SqlSources {
  /** Staged rows of the batch (final + enriched slices). */
  stagedSource(batchId: string, sliceCount: number): Promise<string>;
  /** The published curated table (an empty relation with the right columns when there is none yet). */
  curatedSource(): Promise<string>;
  /**
   * The forgotten users' salted hashes, one `user_hash` per erasure record (an empty relation when there is
   * none): docs/operations.md#forgetting-a-user.
   */
  erasedUsersSource(): Promise<string>;
  /** The lake's erasure salt as one `salt` column (at most one non-null value; empty when none was created). */
  erasureSaltSource(): Promise<string>;
  classifiedTarget(batchId: string): string;
  classifiedSource(batchId: string): string;
  mergeTarget(batchId: string, group: number): string;
  /** Rows of this batch already written, pending or published. */
  batchRowsSource(batchId: string): Promise<string>;
}
