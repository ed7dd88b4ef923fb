-- Late-arriving events by lag bucket: how long after it happened each event reached the table (ingested_at - created_datetime), per event day.
SELECT event_date,
       CASE WHEN ingested_at <= created_datetime + INTERVAL '15' MINUTE THEN '1: <= 15 min'
            WHEN ingested_at <= created_datetime + INTERVAL '1' HOUR THEN '2: 15-60 min'
            WHEN ingested_at <= created_datetime + INTERVAL '6' HOUR THEN '3: 1-6 h'
            WHEN ingested_at <= created_datetime + INTERVAL '1' DAY THEN '4: 6-24 h'
            WHEN ingested_at <= created_datetime + INTERVAL '7' DAY THEN '5: 1-7 days'
            ELSE '6: > 7 days' END AS lag_bucket,
       count(*) AS events
FROM events
GROUP BY 1, 2
ORDER BY event_date, lag_bucket;
