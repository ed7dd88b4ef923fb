import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  type LifecycleRule,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Layout } from '../../src/ports/layout';
import { DEFAULT_RETENTION, type Retention } from '../../src/ports/retention';
import { RAW_ERRORS_PREFIX, retentionLifecycleRules } from './lake-retention';

/** Key prefixes inside the lake buckets (the object store's keys are the same locally and on S3). */
export const LakePrefixes = {
  /** Firehose lands raw objects here (raw bucket). */
  raw: Layout.raw,
  /** Firehose's failed deliveries (raw bucket). */
  rawErrors: RAW_ERRORS_PREFIX,
  /** Manifests, staged rows, lesson files (staging bucket): expire after the staging retention. */
  staging: 'staging/',
  /** Staged rows, one Hive partition per batch (staging bucket): the Glue `staged` table. */
  staged: 'staging/staged/',
  /** The `classified` Iceberg table (staging bucket); outside `staging/` so expiry never breaks its metadata. */
  classified: 'iceberg/classified/',
  /** The curated Iceberg `events_all_batches` table (curated bucket). */
  curatedEvents: Layout.curatedEvents,
  /** CommitBatch's committed markers `<batch_id>.json` (curated bucket): the Glue `committed_batches` table. */
  curatedCommitted: Layout.committedPrefix,
  /**
   * What forgetting a user keeps (curated bucket, no lifecycle rule: kept for ever): the salt
   * `erasures/salt.json` (the Glue `erasure_salt` table) and one record per forgotten user under
   * `erasures/log/` (the Glue `erased_users` table), docs/operations.md#forgetting-a-user.
   */
  erasures: Layout.erasures,
  erasureRecords: Layout.erasureRecords,
  /** Quarantine records, one Hive partition per batch (quarantine bucket): the Glue `quarantine_all_batches` table. */
  quarantine: 'quarantine/',
  /** Replay outcomes `replays/batch_id=<id>/outcomes.ndjson` (quarantine bucket): beside the records they describe. */
  replays: Layout.replays,
  /** Run summaries `runs/<batch_id>.json` (staging bucket). */
  runs: 'runs/',
  /** Athena query results (athena-results bucket). */
  athenaResults: 'athena/',
} as const;

export interface LakeProps {
  /** Prefix of every bucket name, e.g. `eventlake-dev`; the account and region are appended. */
  readonly namePrefix: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Empty the buckets when the stack is deleted (adds CDK's auto-delete custom resource).
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
  /**
   * Days each area keeps its objects (src/ports/retention.ts): raw (and Firehose's `raw-errors/`), `staging/`
   * and `quarantine/` expire by lifecycle rule; curated must be `null` (an Iceberg table: see lake-retention.ts).
   * @default DEFAULT_RETENTION
   */
  readonly retention?: Retention;
  /**
   * Days after which Athena query results expire.
   * @default 7
   */
  readonly athenaResultsExpirationDays?: number;
  /**
   * Days a replaced or deleted version of a versioned object (raw, curated, quarantine) is kept.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days S3 server access logs are kept.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
}

/**
 * The lake's storage: one customer managed KMS key (rotated yearly) and five KMS-encrypted buckets
 * (raw, curated, staging, quarantine, athena-results), each TLS-only, never public, logging to a
 * dedicated access-log bucket. The access-log bucket is SSE-S3 because S3 log delivery cannot write
 * to SSE-KMS buckets.
 */
export class Lake extends Construct {
  /** Encrypts the data buckets, the DynamoDB tables and Athena results (Firehose writes raw objects with it). */
  readonly key: Key;
  readonly accessLogBucket: Bucket;
  /** Firehose output: `raw/YYYY/MM/DD/HH/*.gz`; versioned (the source of truth); expires after the raw retention. */
  readonly rawBucket: Bucket;
  /** The curated Iceberg table; versioned. */
  readonly curatedBucket: Bucket;
  /** Manifests, staged rows, the classified table and run summaries; `staging/` expires after the staging retention. */
  readonly stagingBucket: Bucket;
  /** Quarantined lines and objects; versioned (evidence); expire after the quarantine retention. */
  readonly quarantineBucket: Bucket;
  /** Athena query results; expire. */
  readonly athenaResultsBucket: Bucket;

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const autoDeleteObjects = props.autoDeleteObjects ?? false;
    const noncurrentDays = Duration.days(props.noncurrentVersionExpirationDays ?? 30);
    const retention = retentionLifecycleRules(props.retention ?? DEFAULT_RETENTION);
    const abortUploads: LifecycleRule = {
      id: 'abort-incomplete-uploads',
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    };
    const name = (kind: string): string => `${props.namePrefix}-${kind}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;

    this.key = new Key(this, 'Key', {
      alias: `alias/${props.namePrefix}-lake`,
      description: `${props.namePrefix}: lake buckets, DynamoDB tables, Athena results`,
      enableKeyRotation: true,
      removalPolicy,
    });

    this.accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      bucketName: name('access-logs'),
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        abortUploads,
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogExpirationDays ?? 90) },
      ],
      removalPolicy,
      autoDeleteObjects,
    });
    // No AwsSolutions-S1 finding here: cdk-nag accepts a bucket without logging when it is another bucket's log target.

    const lakeBucket = (
      id: string,
      kind: string,
      versioned: boolean,
      lifecycleRules: LifecycleRule[],
    ): Bucket =>
      new Bucket(this, id, {
        bucketName: name(kind),
        encryption: BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        enforceSSL: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned,
        serverAccessLogsBucket: this.accessLogBucket,
        serverAccessLogsPrefix: `${kind}/`,
        lifecycleRules: [
          abortUploads,
          ...(versioned
            ? [{ id: 'expire-noncurrent-versions', noncurrentVersionExpiration: noncurrentDays }]
            : []),
          ...lifecycleRules,
        ],
        removalPolicy,
        autoDeleteObjects,
      });

    this.rawBucket = lakeBucket('RawBucket', 'raw', true, retention.raw);
    // No expiration: the Iceberg table's files go only through Athena (lake-retention.ts).
    this.curatedBucket = lakeBucket('CuratedBucket', 'curated', true, []);
    // `staging/` only: run summaries (`runs/`) and the classified Iceberg table (`iceberg/classified/`) stay.
    this.stagingBucket = lakeBucket('StagingBucket', 'staging', false, retention.staging);
    this.quarantineBucket = lakeBucket('QuarantineBucket', 'quarantine', true, retention.quarantine);
    this.athenaResultsBucket = lakeBucket('AthenaResultsBucket', 'athena-results', false, [
      { id: 'expire-athena-results', expiration: Duration.days(props.athenaResultsExpirationDays ?? 7) },
    ]);
  }

  /** The five KMS-encrypted data buckets (not the access-log bucket). */
  dataBuckets(): Bucket[] {
    return [
      this.rawBucket,
      this.curatedBucket,
      this.stagingBucket,
      this.quarantineBucket,
      this.athenaResultsBucket,
    ];
  }
}
