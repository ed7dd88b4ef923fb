-- Event-date span and size of the staged batch: bounds the cross-batch dedup horizon.
SELECT CAST(min(event_date) AS VARCHAR) AS date_min, CAST(max(event_date) AS VARCHAR) AS date_max, count(*) AS staged_rows
FROM {{staged_source}}
WHERE batch_id = ?;
