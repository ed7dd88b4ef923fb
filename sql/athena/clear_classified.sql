-- Run natively by Step Functions before ClassifyBatch, so a retried or resumed classification replaces the
-- batch's rows instead of appending to them (Iceberg row-level DELETE). No execution parameters: the
-- state formats the batch id into the text (src/runtime/athena-state-query.ts).
DELETE FROM {{classified_target}} WHERE batch_id = ?;
