-- Snapshot expiration and orphan file removal on the classified table, after the committed batches' rows
-- were deleted from it (https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html).
VACUUM {{vacuum_classified_target}};
