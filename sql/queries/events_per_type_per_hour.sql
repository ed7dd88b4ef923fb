-- Events per type per hour of event time (UTC): the traffic shape of each event type.
SELECT event_type,
       event_date,
       hour(created_datetime) AS event_hour,
       count(*) AS events
FROM events
GROUP BY event_type, event_date, hour(created_datetime)
ORDER BY event_date, event_hour, event_type;
