-- Rows of this batch actually written (pending and already published): the "inserted" side of the law.
SELECT count(*) AS rows FROM {{batch_rows_source}} WHERE batch_id = ?;
