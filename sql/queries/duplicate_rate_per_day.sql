-- Duplicate rate per day (UTC day the batch committed) and run mode: the share of valid lines that were exact duplicates.
-- Duplicates are copies of a line earlier in the batch or of a stored row; a backfill over objects already loaded
-- counts its lines as duplicates_existing, hence the mode column. Batches committed before markers carried counts are left out.
SELECT substr(committed_at, 1, 10) AS day,
       mode,
       sum(lines_read) AS lines_read,
       sum(inserted) AS inserted,
       sum(duplicates_in_batch) AS duplicates_in_batch,
       sum(duplicates_existing) AS duplicates_existing,
       round(CAST(sum(duplicates_in_batch + duplicates_existing) AS DOUBLE)
             / nullif(sum(inserted + duplicates_in_batch + duplicates_existing), 0), 6) AS duplicate_rate
FROM committed_batches
WHERE lines_read IS NOT NULL
GROUP BY substr(committed_at, 1, 10), mode
ORDER BY day, mode;
