-- The curated partitions of the days to compact: partition columns only, so Athena reads no data column.
SELECT event_type, CAST(event_date AS VARCHAR) AS event_date FROM {{compaction_source}}
WHERE event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
GROUP BY event_type, event_date
ORDER BY event_date, event_type;
