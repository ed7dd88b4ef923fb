-- Lesson (and every other flow's) completion rate by event_type/event_subtype: completed or finished events per started event.
-- A flow is event_type for two-part names (lesson:started -> lesson:completed) and event_type + event_subtype
-- for three-part names (review:session:started -> review:session:finished; event_subtype is empty for the first kind).
WITH steps AS (
  SELECT event_type,
         CASE WHEN event_name = event_type || ':' || event_subtype THEN NULL ELSE event_subtype END AS flow_subtype,
         CASE WHEN event_name = event_type || ':' || event_subtype THEN event_subtype
              ELSE substr(event_name, length(event_type) + length(event_subtype) + 3) END AS step
  FROM events
)
SELECT event_type,
       coalesce(flow_subtype, '') AS event_subtype,
       sum(CASE WHEN step = 'started' THEN 1 ELSE 0 END) AS started,
       sum(CASE WHEN step IN ('completed', 'finished') THEN 1 ELSE 0 END) AS completed,
       round(CAST(sum(CASE WHEN step IN ('completed', 'finished') THEN 1 ELSE 0 END) AS DOUBLE)
             / sum(CASE WHEN step = 'started' THEN 1 ELSE 0 END), 4) AS completion_rate
FROM steps
GROUP BY event_type, coalesce(flow_subtype, '')
HAVING sum(CASE WHEN step = 'started' THEN 1 ELSE 0 END) > 0
ORDER BY event_type, event_subtype;
