SELECT
  count(*) AS staged_rows,
  count_if(class = 'insert') AS inserts,
  count_if(class = 'already_inserted') AS already_inserted,
  count_if(class = 'duplicate_in_batch') AS duplicates_in_batch,
  count_if(class = 'duplicate_existing') AS duplicates_existing,
  count_if(class IN ('conflict_in_batch', 'conflict_existing')) AS conflicts,
  count_if(class = 'erased') AS erased,
  count_if(class IN ('insert', 'already_inserted') AND enrichment_status = 'enriched') AS enriched,
  count_if(class IN ('insert', 'already_inserted') AND enrichment_status = 'no_account') AS no_account,
  count_if(class IN ('insert', 'already_inserted') AND enrichment_status = 'no_subscription') AS no_subscription,
  count(DISTINCT CASE WHEN class = 'insert' THEN event_type || '/' || CAST(event_date AS VARCHAR) END) AS partitions
FROM {{classified_source}}
WHERE batch_id = ?;
