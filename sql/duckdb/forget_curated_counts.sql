-- What the forget execution's DeleteCuratedRows is about to delete: the user's curated rows and partitions
-- (counted by BeginForget for the erasure record, before the DELETE, which reports no count to the state machine).
SELECT count(*) AS curated_rows,
  count(DISTINCT concat(event_type, '/', CAST(event_date AS VARCHAR))) AS curated_partitions
FROM {{curated_source}}
WHERE user_uuid = ?
