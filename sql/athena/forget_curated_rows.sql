-- The forget state machine's DeleteCuratedRows: the user's rows leave the curated Iceberg table. "DELETE is
-- transactional and is only supported for Apache Iceberg tables"; it writes position delete files
-- (merge-on-read) and the rows are gone from every later read
-- (https://docs.aws.amazon.com/athena/latest/ug/delete-statement.html). The id takes no execution parameter
-- (DELETE accepts none: https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html):
-- States.Format puts it into the text, after BeginForget validated it as a UUID (src/pipeline/forget-user.ts).
-- The deleted bytes leave S3 when the compaction's OPTIMIZE rewrites the partition and VACUUM expires the
-- older snapshots (docs/operations.md#forgetting-a-user).
DELETE FROM {{forget_curated_target}} WHERE user_uuid = ?
