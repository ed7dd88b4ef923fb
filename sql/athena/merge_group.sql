-- Insert-only, idempotent MERGE of one group of at most 80 (event_type, event_date) partitions into the
-- curated Iceberg table. Run natively by Step Functions (athena:startQueryExecution.sync). Athena takes
-- no execution parameters in MERGE, so the state fills the ? (batch_id, merge_group and the group's
-- partition bounds) with States.Format (src/runtime/athena-state-query.ts); a retried statement inserts
-- nothing twice. The target side of ON is bounded by the group's event_type and event_date ranges (as
-- dbt-athena's incremental_predicates do), so the scan never grows with the table's history.
MERGE INTO {{merge_target}} t
USING (
  SELECT event_uuid, event_name, event_type, event_subtype, created_at,
    created_datetime, event_date,
    user_uuid, language, country, subscription_type, subscription_status, enrichment_status,
    payload, source_key, ingested_at, batch_id
  FROM {{classified_source}}
  WHERE batch_id = ? AND merge_group = CAST(? AS INTEGER) AND class = 'insert'
) s
ON t.event_uuid = s.event_uuid AND t.event_type = s.event_type AND t.event_date = s.event_date
  AND t.event_type BETWEEN ? AND ?
  AND t.event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
WHEN NOT MATCHED THEN INSERT (
  event_uuid, event_name, event_type, event_subtype, created_at, created_datetime, event_date,
  user_uuid, language, country, subscription_type, subscription_status, enrichment_status,
  payload, source_key, ingested_at, batch_id
) VALUES (
  s.event_uuid, s.event_name, s.event_type, s.event_subtype, s.created_at, s.created_datetime, s.event_date,
  s.user_uuid, s.language, s.country, s.subscription_type, s.subscription_status, s.enrichment_status,
  s.payload, s.source_key, s.ingested_at, s.batch_id
);
