-- The forget state machine's DeleteClassifiedRows: the user's rows leave the classified Iceberg staging table
-- (committed batches' classifications stay there until the compaction deletes them), as DeleteCuratedRows
-- does for the curated table (sql/athena/forget_curated_rows.sql: the same rules and the same validated id).
DELETE FROM {{forget_classified_target}} WHERE user_uuid = ?
