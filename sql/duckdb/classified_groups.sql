-- The merge groups to run, in order.
SELECT DISTINCT merge_group FROM {{classified_source}}
WHERE batch_id = ? AND class = 'insert'
ORDER BY merge_group;
