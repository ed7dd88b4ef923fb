SELECT source_key, line_no, class
FROM {{classified_source}}
WHERE batch_id = ?
ORDER BY source_key, line_no;
