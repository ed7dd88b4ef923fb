-- Run natively by the compaction state machine, once per (event_type, event_date) partition: bin-packs the
-- partition's small files into files near the table's target size. Athena allows only partition columns in
-- OPTIMIZE's WHERE (https://docs.aws.amazon.com/athena/latest/ug/optimize-statement.html); the table name is
-- unquoted `database.table` as that page and VACUUM's spell it. No execution parameters: the state formats
-- the values into the text (src/workflow/athena-state-query.ts).
OPTIMIZE {{optimize_target}} REWRITE DATA USING BIN_PACK WHERE event_type = ? AND event_date = DATE ?;
