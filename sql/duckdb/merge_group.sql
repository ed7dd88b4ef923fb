-- Insert-only merge of one partition group (the DuckDB counterpart of Athena's MERGE ... WHEN NOT MATCHED).
-- Rows classified 'insert' are new by construction (classify_batch anti-joined the curated table while
-- this run held the lease); files go to the batch's pending folder and are published at commit.
COPY (
  SELECT event_uuid, event_name, event_type, event_subtype, created_at,
    CAST(created_datetime AS TIMESTAMPTZ) AS created_datetime, event_date,
    user_uuid, language, country, subscription_type, subscription_status, enrichment_status,
    payload, source_key, ingested_at, batch_id
  FROM {{classified_source}}
  WHERE batch_id = ? AND merge_group = CAST(? AS INTEGER) AND class = 'insert'
    -- The group's partition bounds (the Athena MERGE bounds its target with them); always true here.
    AND event_type BETWEEN ? AND ? AND event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
  -- No ORDER BY: sorting a batch costs time and memory (it ran out at a 512MB limit: docs/performance.md);
  -- compaction (src/pipeline/compact.ts) writes each partition sorted by created_at.
) TO {{merge_target}};
