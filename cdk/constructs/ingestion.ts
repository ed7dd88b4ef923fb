import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResources, cfnResourceOf } from '../nag';
import { LakePrefixes } from './lake';

/** Firehose's S3 prefix: arrival hour in UTC, the layout PlanBatch lists (`raw/YYYY/MM/DD/HH/`). */
export const RAW_PREFIX = `${LakePrefixes.raw}!{timestamp:yyyy/MM/dd/HH}/`;
/** Failed records, split by error type, so a bad delivery never lands among the raw objects. */
export const RAW_ERROR_PREFIX = `${LakePrefixes.rawErrors}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`;

export interface IngestionProps {
  /** Prefix of the stream and delivery stream names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  /** Where Firehose lands raw objects. */
  readonly rawBucket: IBucket;
  /** Encrypts the objects Firehose writes (the raw bucket's key). */
  readonly key: IKey;
  /**
   * Firehose flushes an object when this much data is buffered (128 MiB is the maximum without dynamic partitioning).
   * @default 128
   */
  readonly bufferSizeMiB?: number;
  /**
   * ... or when the oldest buffered record is this old.
   * @default 300
   */
  readonly bufferIntervalSeconds?: number;
  /**
   * How long Kinesis keeps records (covers a Firehose outage).
   * @default 24
   */
  readonly streamRetentionHours?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Producers -> KMS-encrypted (aws/kinesis) on-demand Kinesis Data Stream -> Firehose -> GZIP NDJSON objects in the raw
 * bucket under their arrival hour. Firehose appends a newline to every record (it concatenates records
 * with no delimiter otherwise) and logs delivery errors to CloudWatch. Its role is written by hand.
 */
export class Ingestion extends Construct {
  readonly stream: Stream;
  readonly deliveryStream: CfnDeliveryStream;
  readonly deliveryRole: Role;
  readonly deliveryLogGroup: LogGroup;
  /** Name of the delivery stream (for metrics). */
  readonly deliveryStreamName: string;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { partition, region, account } = Stack.of(this);

    this.stream = new Stream(this, 'Stream', {
      streamName: `${props.namePrefix}-events`,
      streamMode: StreamMode.ON_DEMAND,
      // The AWS managed key (aws/kinesis): records live here for hours only, and a customer managed key
      // would add a KMS request per data-key rotation per shard and producer (AwsSolutions-KDS3).
      encryption: StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(props.streamRetentionHours ?? 24),
      removalPolicy,
    });

    this.deliveryStreamName = `${props.namePrefix}-raw`;
    this.deliveryLogGroup = new LogGroup(this, 'DeliveryLogGroup', {
      logGroupName: `/aws/kinesisfirehose/${this.deliveryStreamName}`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const logStream = new LogStream(this, 'DeliveryLogStream', {
      logGroup: this.deliveryLogGroup,
      logStreamName: 'S3Delivery',
      removalPolicy,
    });

    const bucket = props.rawBucket;
    const rawObjects = [
      bucket.arnForObjects(`${LakePrefixes.raw}*`),
      bucket.arnForObjects(`${LakePrefixes.rawErrors}*`),
    ];
    this.deliveryRole = new Role(this, 'DeliveryRole', {
      // Firehose's documented confused-deputy guard: it passes the account id as the external id.
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': account } },
      }),
      description: 'Firehose: read the event stream, write raw objects, log delivery errors',
      inlinePolicies: {
        delivery: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'ReadStream',
              actions: [
                'kinesis:DescribeStream',
                'kinesis:DescribeStreamSummary',
                'kinesis:GetShardIterator',
                'kinesis:GetRecords',
                'kinesis:ListShards',
              ],
              resources: [this.stream.streamArn],
            }),
            new PolicyStatement({
              sid: 'RawBucket',
              actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
              resources: [bucket.bucketArn],
            }),
            new PolicyStatement({
              sid: 'RawObjects',
              actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
              resources: rawObjects,
            }),
            new PolicyStatement({
              sid: 'LakeKey',
              actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
              resources: [props.key.keyArn],
            }),
            new PolicyStatement({
              sid: 'DeliveryLogs',
              actions: ['logs:PutLogEvents'],
              resources: [
                `arn:${partition}:logs:${region}:${account}:log-group:${this.deliveryLogGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
              ],
            }),
          ],
        }),
      },
    });
    acknowledgeWildcardResources(
      cfnResourceOf(this.deliveryRole),
      rawObjects,
      'Firehose names each object itself (arrival hour, random suffix): it may write any key below raw/ and raw-errors/, nothing else.',
    );

    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: this.deliveryStreamName,
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: {
        kinesisStreamArn: this.stream.streamArn,
        roleArn: this.deliveryRole.roleArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: bucket.bucketArn,
        roleArn: this.deliveryRole.roleArn,
        prefix: RAW_PREFIX,
        errorOutputPrefix: RAW_ERROR_PREFIX,
        bufferingHints: {
          sizeInMBs: props.bufferSizeMiB ?? 128,
          intervalInSeconds: props.bufferIntervalSeconds ?? 300,
        },
        compressionFormat: 'GZIP',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.key.keyArn } },
        // Without a delimiter Firehose concatenates records into one line; the default delimiter is "\n".
        processingConfiguration: { enabled: true, processors: [{ type: 'AppendDelimiterToRecord' }] },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.deliveryLogGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // The role's policy must exist before Firehose validates it can read the stream.
    this.deliveryStream.node.addDependency(this.deliveryRole);
    acknowledge(
      this.deliveryStream,
      'AwsSolutions-KDF1',
      'Firehose server-side encryption cannot be enabled with a Kinesis stream source; the stream is KMS-encrypted and Firehose writes SSE-KMS objects.',
    );
  }
}
