SELECT event_uuid, class, source_key, line_no, payload
FROM {{classified_source}}
WHERE batch_id = ? AND class IN ('conflict_in_batch', 'conflict_existing')
ORDER BY source_key, line_no;
