SELECT count(*) AS rows FROM {{batch_rows_source}} WHERE batch_id = ?;
