-- Quarantined lines by reason and day (UTC day the batch committed).
-- From each committed batch's counts (committed_batches), because on Athena the quarantine view needs a batch_id;
-- the lines themselves: SELECT * FROM quarantine WHERE batch_id = '<batch_id>' AND reason = '<reason>'.
SELECT substr(b.committed_at, 1, 10) AS day,
       r.reason,
       sum(b.quarantined_by_reason[r.reason]) AS quarantined_lines,
       count(*) AS batches
FROM committed_batches b
CROSS JOIN UNNEST(map_keys(b.quarantined_by_reason)) AS r (reason)
GROUP BY substr(b.committed_at, 1, 10), r.reason
ORDER BY day, quarantined_lines DESC, r.reason;
