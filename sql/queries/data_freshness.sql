-- Data freshness per event type: the newest event time (created_datetime) and the newest load (ingested_at) in the table.
SELECT event_type,
       max(created_datetime) AS newest_created_datetime,
       max(ingested_at) AS newest_ingested_at,
       count(*) AS events
FROM events
GROUP BY event_type
ORDER BY newest_created_datetime, event_type;
