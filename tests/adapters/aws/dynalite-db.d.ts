// dynalite's internal db module (no types): only the item-size function the fixture replaces.
declare module 'dynalite/db' {
  interface DynaliteDb {
    /** Item size as dynalite counts it against its `maxItemSize` (PutItem, UpdateItem, BatchWriteItem). */
    itemSize(item: Record<string, unknown>): number;
  }
  const db: DynaliteDb;
  export = db;
}
