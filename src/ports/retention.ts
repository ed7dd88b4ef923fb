import { InvalidInputError } from '../errors';
import { Layout } from './layout';

/**
 * How long each area of the lake keeps its objects: the one definition the local `eventlake retain` and the
 * AWS lifecycle rules (cdk/constructs/lake-retention.ts) are both built from. docs/operations.md#retention
 * explains the defaults and what each area's age is measured from.
 */
export const RETENTION_AREAS = ['raw', 'staging', 'quarantine', 'curated'] as const;
export type RetentionArea = (typeof RETENTION_AREAS)[number];

/** Whole days an area keeps an object, or `null`: kept forever. */
export type RetentionDays = number | null;
export type Retention = Readonly<Record<RetentionArea, RetentionDays>>;

/**
 * - raw 90 days: the source of truth; bounds what a backfill can replay (three months of reprocessing).
 * - staging 14 days: a batch's working files, only needed until it commits; kept two weeks to debug a batch.
 * - quarantine 365 days: the evidence of every rejected line, a year for senders to fix and resend.
 * - curated forever: the table analysts query; on AWS it is an Iceberg table, which no lifecycle rule may touch.
 */
export const DEFAULT_RETENTION: Retention = { raw: 90, staging: 14, quarantine: 365, curated: null };

/** The key prefix of each area (the same keys locally and on S3). */
export const RETENTION_PREFIXES: Readonly<Record<RetentionArea, string>> = {
  raw: Layout.raw,
  staging: 'staging/',
  quarantine: 'quarantine/',
  curated: Layout.curatedEvents,
};

/** The local lake's retention settings (optional; missing areas keep their default). */
export const RETENTION_FILE = Layout.retentionFile;

const DAY_MS = 86_400_000;

/**
 * One area's days as written by a person (`90`, or `keep` for forever). S3 takes a lifecycle expiration's
 * `Days` only as a non-zero positive integer
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html), so 0 is refused here too.
 */
export function parseRetentionDays(value: unknown, where: string): RetentionDays {
  if (value === null || value === 'keep') return null;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1) return n;
  throw new InvalidInputError(`${where}: ${JSON.stringify(value)} is not a retention: use a whole number of days >= 1, or "keep" (null in JSON) to keep forever`);
}

/**
 * The settings of a retention file's JSON over `base`: `{"raw_days": 30, "curated_days": null, ...}`. Unknown
 * keys are refused (a typo must not silently keep the default).
 */
export function parseRetentionFile(text: string, file: string, base: Retention = DEFAULT_RETENTION): Retention {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${file}: not JSON (${(error as Error).message}): write e.g. {"raw_days": 90, "curated_days": null}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidInputError(`${file}: must be a JSON object such as {"raw_days": 90, "curated_days": null}`);
  }
  const out: Record<RetentionArea, RetentionDays> = { ...base };
  for (const [key, value] of Object.entries(json)) {
    const area = RETENTION_AREAS.find((a) => `${a}_days` === key);
    if (area === undefined) {
      throw new InvalidInputError(`${file}: unknown key "${key}": the keys are ${RETENTION_AREAS.map((a) => `${a}_days`).join(', ')}`);
    }
    out[area] = parseRetentionDays(value, `${file}: ${key}`);
  }
  return out;
}

/**
 * Objects whose time is before this instant are past retention at `nowMs`: midnight UTC of today minus
 * `days`. This is S3's own rule: it adds the days to the object's creation time and rounds the result up to
 * the next midnight UTC (an object of 2014-01-15 10:30 UTC under a 3-day rule expires 2014-01-19 00:00 UTC,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html), so locally and on AWS an
 * object goes on the same day.
 */
export function retentionCutoffMs(days: number, nowMs: number): number {
  return Math.floor(nowMs / DAY_MS) * DAY_MS - days * DAY_MS;
}
