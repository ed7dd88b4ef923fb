-- Event-date span and size of the staged batch (staged_source: the staging table filtered to this batch).
SELECT CAST(min(event_date) AS VARCHAR) AS date_min, CAST(max(event_date) AS VARCHAR) AS date_max, count(*) AS staged_rows
FROM {{staged_source}}
WHERE batch_id = ?;
