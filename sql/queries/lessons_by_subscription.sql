-- Lessons by the subscription their user had at the time of the lesson (point-in-time enrichment).
SELECT coalesce(subscription_type, '(none)') AS subscription_type,
       coalesce(subscription_status, '(none)') AS subscription_status,
       enrichment_status,
       count(*) AS lessons,
       count(DISTINCT user_uuid) AS users
FROM events
WHERE event_type = 'lesson'
GROUP BY 1, 2, 3
ORDER BY lessons DESC;
