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
-- Shape (docs/performance.md): the wide rows are read and written once, streamed, never held. Only uuids seen
-- more than once in the batch (~1%) go through the arrival-order window; the partitions that get inserts
-- come from the narrow columns. `staged` is NOT MATERIALIZED: referenced five times, DuckDB would otherwise
-- keep the whole batch in memory (it did: 2-3x the time and a spill at a 512MB limit).
-- The file is zstd at level 1: written once and read once by MergeGroups, at 1M events it is 97 MB against
-- 175 MB with DuckDB's default snappy (332 MB uncompressed), and ClassifyBatch + MergeGroups took less time
-- than with either: new files are written at only 0.3-1.1 GB/s on this machine's ext4 (docs/performance.md).
COPY (
  WITH staged AS NOT MATERIALIZED (
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
  repeated AS (
    SELECT event_uuid FROM staged GROUP BY event_uuid HAVING count(*) > 1
  ),
  ranked AS (
    SELECT source_key, line_no,
      row_number() OVER arrival AS arrival_rank,
      first_value(payload) OVER arrival AS first_payload
    FROM staged
    WHERE event_uuid IN (SELECT event_uuid FROM repeated)
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
    SELECT s.*,
      CASE
        WHEN s.user_uuid IN (SELECT user_uuid FROM erased) THEN 'erased'
        WHEN coalesce(r.arrival_rank, 1) > 1 AND s.payload = r.first_payload THEN 'duplicate_in_batch'
        WHEN coalesce(r.arrival_rank, 1) > 1 THEN 'conflict_in_batch'
        WHEN e.event_uuid IS NULL THEN 'insert'
        WHEN e.payload <> s.payload THEN 'conflict_existing'
        WHEN e.batch_id = ? THEN 'already_inserted'
        ELSE 'duplicate_existing'
      END AS class
    FROM staged s
    LEFT JOIN ranked r ON r.source_key = s.source_key AND r.line_no = s.line_no
    LEFT JOIN existing e ON e.event_uuid = s.event_uuid
  ),
  -- The partitions that get inserts, from the narrow columns: an insert is a first arrival, not stored yet,
  -- of a user not erased (the CASE above in the same order).
  partitions AS (
    SELECT event_type, event_date,
      CAST((row_number() OVER (ORDER BY event_type, event_date) - 1) // CAST(? AS BIGINT) AS INTEGER) AS merge_group
    FROM (
      SELECT DISTINCT s.event_type, s.event_date
      FROM staged s
      LEFT JOIN ranked r ON r.source_key = s.source_key AND r.line_no = s.line_no
      WHERE coalesce(r.arrival_rank, 1) = 1
        AND s.event_uuid NOT IN (SELECT event_uuid FROM existing)
        AND NOT coalesce(s.user_uuid IN (SELECT user_uuid FROM erased), false)
    )
  )
  SELECT c.*, p.merge_group, CAST(? AS VARCHAR) AS batch_id, CAST(? AS TIMESTAMPTZ) AS ingested_at
  FROM classified c LEFT JOIN partitions p ON p.event_type = c.event_type AND p.event_date = c.event_date
) TO {{classified_target}} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1);
