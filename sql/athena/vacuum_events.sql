-- Snapshot expiration and orphan file removal on the curated table, after OPTIMIZE: the files it replaced
-- go once their snapshots are older than vacuum_max_snapshot_age_seconds (default 5 days)
-- (https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html).
VACUUM {{vacuum_target}};
