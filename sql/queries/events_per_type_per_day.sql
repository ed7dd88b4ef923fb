-- Events per type and day: the partition layout makes this a metadata-light scan.
SELECT event_type, event_date, count(*) AS events, count(DISTINCT event_name) AS event_names
FROM events
GROUP BY event_type, event_date
ORDER BY event_date, events DESC
LIMIT 20;
