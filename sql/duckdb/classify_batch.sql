-- Classify every staged row exactly once (the conservation law counts these classes):
--   duplicate_in_batch / conflict_in_batch: a later occurrence of a uuid in this batch (arrival order:
--     source_key, then line_no; the first wins); exact copy vs different content.
--   already_inserted: in the curated table from an earlier attempt of this same batch (resumed run).
--   duplicate_existing / conflict_existing: already curated by another batch within the dedup horizon.
--   erased: a user forgotten by `eventlake forget` (docs/operations.md#forgetting-a-user), whatever class the
--     row would have had: its user_uuid hashes, with the lake's salt, to an erasure record. sha256(VARCHAR)
--     is the lower-case hex digest of the UTF-8 bytes (as src/pipeline/erasure-log.ts userHash); the salt is
--     read from its file by the query, never written into the SQL text. Each distinct user is hashed once.
--   insert: new. merge_group numbers its (event_type, event_date) partition in groups of at most
--     max_partitions_per_merge, so each MERGE stays under Athena's 100-partition limit.
COPY (
  WITH staged AS (
    SELECT event_uuid, event_name, event_type, event_subtype, created_at, created_datetime, event_date,
      user_uuid, language, country, subscription_type, subscription_status, enrichment_status,
      payload, source_key, line_no
    FROM {{staged_source}}
    WHERE batch_id = ?
  ),
  erased AS (
    SELECT u.user_uuid
    FROM (SELECT DISTINCT user_uuid FROM staged WHERE user_uuid IS NOT NULL) u
      CROSS JOIN (SELECT max(salt) AS salt FROM {{erasure_salt_source}}) k
    WHERE sha256(k.salt || u.user_uuid) IN (SELECT user_hash FROM {{erased_users_source}})
  ),
  ranked AS (
    SELECT *,
      row_number() OVER arrival AS arrival_rank,
      first_value(payload) OVER arrival AS first_payload
    FROM staged
    WINDOW arrival AS (PARTITION BY event_uuid ORDER BY source_key, line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ),
  existing AS (
    SELECT event_uuid, any_value(payload) AS payload, any_value(batch_id) AS batch_id
    FROM {{curated_source}}
    WHERE event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
      AND event_uuid IN (SELECT event_uuid FROM staged)
    GROUP BY event_uuid
  ),
  classified AS (
    SELECT r.* EXCLUDE (first_payload, arrival_rank),
      CASE
        WHEN r.user_uuid IN (SELECT user_uuid FROM erased) THEN 'erased'
        WHEN r.arrival_rank > 1 AND r.payload = r.first_payload THEN 'duplicate_in_batch'
        WHEN r.arrival_rank > 1 THEN 'conflict_in_batch'
        WHEN e.event_uuid IS NULL THEN 'insert'
        WHEN e.payload <> r.payload THEN 'conflict_existing'
        WHEN e.batch_id = ? THEN 'already_inserted'
        ELSE 'duplicate_existing'
      END AS class
    FROM ranked r LEFT JOIN existing e ON e.event_uuid = r.event_uuid
  ),
  partitions AS (
    SELECT event_type, event_date,
      CAST((row_number() OVER (ORDER BY event_type, event_date) - 1) // CAST(? AS BIGINT) AS INTEGER) AS merge_group
    FROM (SELECT DISTINCT event_type, event_date FROM classified WHERE class = 'insert')
  )
  SELECT c.*, p.merge_group, CAST(? AS VARCHAR) AS batch_id, CAST(? AS TIMESTAMPTZ) AS ingested_at
  FROM classified c LEFT JOIN partitions p ON p.event_type = c.event_type AND p.event_date = c.event_date
) TO {{classified_target}} (FORMAT parquet);
