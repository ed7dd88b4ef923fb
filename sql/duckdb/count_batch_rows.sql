-- Rows of this batch actually written (pending and already published): the "inserted" side of the law.
SELECT count(*) AS rows FROM {{batch_rows_source}} WHERE batch_id = ?
  -- The batch's own event dates: partition pruning keeps this from scanning the whole table.
  AND event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE);
