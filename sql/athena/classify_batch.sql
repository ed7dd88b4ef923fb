-- Athena (Trino) counterpart of sql/duckdb/classify_batch.sql: same classes, same first-wins order.
-- Same classes, different shape: the DuckDB file streams the batch (only repeated uuids are windowed, its
-- `staged` is read once per reference), which suits one machine's memory; here Trino distributes the window,
-- and each extra reference of `staged` would be another scan of the payload column that Athena bills.
-- classified_target is an Iceberg staging table partitioned by batch_id; the task first runs
-- DELETE FROM it WHERE batch_id = ? so a retried classification replaces, never appends.
-- erased (a user forgotten by the forget state machine, whatever class the row would have had): the row's
-- user_uuid hashes, with the lake's salt, to a record of the erased_users table (erasures/log/). The salt is
-- read from the erasure_salt table (erasures/salt.json) by the query, so it is in no state machine
-- definition, state input or execution history. The hash is src/pipeline/erasure-log.ts userHash in Trino's
-- functions: to_utf8(varchar) -> varbinary, the UTF-8 bytes (https://trino.io/docs/current/functions/string.html#to_utf8);
-- sha256(varbinary) -> varbinary and to_hex(varbinary) -> varchar, upper-case hex, hence lower()
-- (https://trino.io/docs/current/functions/binary.html); Athena engine version 3 is Trino-based and keeps
-- Trino's functions (https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html).
INSERT INTO {{classified_target}}
WITH staged AS (
  -- created_datetime is staged as ISO 8601 text ('...T...Z', microseconds): cast it without losing them.
  SELECT event_uuid, event_name, event_type, event_subtype, created_at,
      CAST(replace(replace(created_datetime, 'T', ' '), 'Z', '') AS timestamp(6)) AS created_datetime, event_date,
      user_uuid, language, country, subscription_type, subscription_status, enrichment_status,
      payload, source_key, line_no
  FROM {{staged_source}}
  WHERE batch_id = ?
),
erased AS (
  SELECT u.user_uuid
  FROM (SELECT DISTINCT user_uuid FROM staged WHERE user_uuid IS NOT NULL) u
    CROSS JOIN (SELECT max(salt) AS salt FROM {{erasure_salt_source}}) k
  WHERE lower(to_hex(sha256(to_utf8(k.salt || u.user_uuid)))) IN (SELECT user_hash FROM {{erased_users_source}})
),
ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY event_uuid ORDER BY source_key, line_no) AS arrival_rank,
    first_value(payload) OVER (PARTITION BY event_uuid ORDER BY source_key, line_no) AS first_payload
  FROM staged
),
existing AS (
  SELECT event_uuid, arbitrary(payload) AS payload, arbitrary(batch_id) AS batch_id
  FROM {{curated_source}}
  WHERE event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
    AND event_uuid IN (SELECT event_uuid FROM staged)
  GROUP BY event_uuid
),
classified AS (
  SELECT r.event_uuid, r.event_name, r.event_type, r.event_subtype, r.created_at, r.created_datetime, r.event_date,
    r.user_uuid, r.language, r.country, r.subscription_type, r.subscription_status, r.enrichment_status,
    r.payload, r.source_key, r.line_no,
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
    CAST((row_number() OVER (ORDER BY event_type, event_date) - 1) / CAST(? AS BIGINT) AS INTEGER) AS merge_group
  FROM (SELECT DISTINCT event_type, event_date FROM classified WHERE class = 'insert')
)
SELECT c.*, p.merge_group, CAST(? AS VARCHAR) AS batch_id, CAST(from_iso8601_timestamp(?) AS timestamp(6)) AS ingested_at
FROM classified c LEFT JOIN partitions p ON p.event_type = c.event_type AND p.event_date = c.event_date;
