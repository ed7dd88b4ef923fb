-- Daily active learners by language: distinct users with at least one lesson event per event day and language.
SELECT event_date,
       language,
       count(DISTINCT user_uuid) AS active_learners,
       count(*) AS lesson_events
FROM events
WHERE event_type = 'lesson'
  AND user_uuid IS NOT NULL
  AND language IS NOT NULL
GROUP BY event_date, language
ORDER BY event_date, active_learners DESC, language;
