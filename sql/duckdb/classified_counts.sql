-- Counts per class for the run summary and the conservation check.
SELECT
  count(*) AS staged_rows,
  count(*) FILTER (WHERE class = 'insert') AS inserts,
  count(*) FILTER (WHERE class = 'already_inserted') AS already_inserted,
  count(*) FILTER (WHERE class = 'duplicate_in_batch') AS duplicates_in_batch,
  count(*) FILTER (WHERE class = 'duplicate_existing') AS duplicates_existing,
  count(*) FILTER (WHERE class IN ('conflict_in_batch', 'conflict_existing')) AS conflicts,
  count(*) FILTER (WHERE class = 'erased') AS erased,
  count(*) FILTER (WHERE class IN ('insert', 'already_inserted') AND enrichment_status = 'enriched') AS enriched,
  count(*) FILTER (WHERE class IN ('insert', 'already_inserted') AND enrichment_status = 'no_account') AS no_account,
  count(*) FILTER (WHERE class IN ('insert', 'already_inserted') AND enrichment_status = 'no_subscription') AS no_subscription,
  count(DISTINCT (event_type, event_date)) FILTER (WHERE class = 'insert') AS partitions
FROM {{classified_source}}
WHERE batch_id = ?;
