-- The merge groups to run, in order, each with the bounds of its (event_type, event_date) partitions:
-- a group is a run of consecutive partitions in (event_type, event_date) order, so these ranges bound
-- the MERGE's scan of the target to the group's partitions.
SELECT merge_group, min(event_type) AS type_min, max(event_type) AS type_max,
  CAST(min(event_date) AS VARCHAR) AS date_min, CAST(max(event_date) AS VARCHAR) AS date_max
FROM {{classified_source}}
WHERE batch_id = ? AND class = 'insert'
GROUP BY merge_group
ORDER BY merge_group;
