-- Replay batches: the class of every staged row, by its original raw key and line (the replay outcomes).
SELECT source_key, line_no, class
FROM {{classified_source}}
WHERE batch_id = ?
ORDER BY source_key, line_no;
