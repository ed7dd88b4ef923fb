import { Duration } from 'aws-cdk-lib';
import type { LifecycleRule } from 'aws-cdk-lib/aws-s3';
import { RETENTION_AREAS, RETENTION_PREFIXES, parseRetentionDays, type Retention, type RetentionArea, type RetentionDays } from '../../src/ports/retention';

/** Firehose's failed deliveries (raw bucket): kept as long as raw objects, the same evidence. */
export const RAW_ERRORS_PREFIX = 'raw-errors/';

/** The id of the lifecycle rule that expires the objects under `prefix` (`expire-raw`, `expire-raw-errors`, ...). */
export function expiryRuleId(prefix: string): string {
  return `expire-${prefix.replace(/\/$/, '').replace(/[^a-z0-9-]+/g, '-')}`;
}

/**
 * The lake's retention (src/ports/retention.ts) as S3 lifecycle rules, one expiration per area prefix: the same
 * days the local `eventlake retain` applies, counted the same way (S3 rounds to midnight UTC). S3 ages an
 * object from its creation time and cannot tell a committed batch from a pending one: docs/operations.md#retention
 * says why that is safe at these durations. On a versioned bucket an expiration only adds a delete marker and
 * makes the object noncurrent (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html);
 * the bucket's `expire-noncurrent-versions` rule then removes it, and S3 removes the delete marker left with no
 * versions by itself when a rule expires current versions
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManagingDelMarkers.html).
 *
 * The curated area gets no rule, ever: it is an Iceberg table, whose metadata lists every data file; deleting
 * files under it would leave the table pointing at missing files. Curated retention on AWS is an Athena
 * `DELETE FROM ... WHERE event_date < ...` (Iceberg position deletes,
 * https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-delete.html) followed by `VACUUM`
 * (snapshot expiry and orphan file removal, https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html),
 * which is not built: a stage that asks for it fails to synthesize instead of keeping data it said it would drop.
 */
export function retentionLifecycleRules(retention: Retention): Record<Exclude<RetentionArea, 'curated'>, LifecycleRule[]> {
  if (retention.curated !== null) {
    throw new Error(
      `curated retention of ${retention.curated} days cannot be an S3 lifecycle rule (it would delete files the Iceberg table still lists) ` +
        'and the Athena DELETE + VACUUM that would apply it is not built: use -c retention.curated=keep (docs/operations.md#retention)',
    );
  }
  const rules = (area: Exclude<RetentionArea, 'curated'>, prefixes: string[]): LifecycleRule[] => {
    const days = retention[area];
    return days === null ? [] : prefixes.map((prefix) => ({ id: expiryRuleId(prefix), prefix, expiration: Duration.days(days) }));
  };
  return {
    raw: rules('raw', [RETENTION_PREFIXES.raw, RAW_ERRORS_PREFIX]),
    staging: rules('staging', [RETENTION_PREFIXES.staging]),
    quarantine: rules('quarantine', [RETENTION_PREFIXES.quarantine]),
  };
}

/**
 * `base` with the areas given as CDK context (`-c retention.raw=30`, `-c retention.curated=keep`), checked
 * like the local retention file. `lookbackHours`: raw objects must outlive the scheduled runs' lookback, or an
 * object could expire before a run lists it.
 */
export function retentionWithContext(base: Retention, context: (key: string) => unknown, lookbackHours: number): Retention {
  const out: Record<RetentionArea, RetentionDays> = { ...base };
  for (const area of RETENTION_AREAS) {
    const value = context(`retention.${area}`);
    if (value !== undefined) out[area] = parseRetentionDays(value, `-c retention.${area}`);
  }
  if (out.raw !== null && out.raw * 24 <= lookbackHours) {
    throw new Error(`-c retention.raw=${out.raw}: raw objects must be kept longer than the ${lookbackHours}-hour lookback of the scheduled runs`);
  }
  return out;
}
