import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { logicalId, synthStage, type SynthesizedStage } from './app-fixture';

let dev: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
});

function bucketProps(
  name:
    | 'rawBucket'
    | 'curatedBucket'
    | 'stagingBucket'
    | 'quarantineBucket'
    | 'athenaResultsBucket'
    | 'accessLogBucket',
): Record<string, unknown> {
  const id = logicalId(dev, dev.stack.lake[name]);
  return (dev.template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>)[id]!
    .Properties;
}

const DATA_BUCKETS = [
  'rawBucket',
  'curatedBucket',
  'stagingBucket',
  'quarantineBucket',
  'athenaResultsBucket',
] as const;

describe('Lake', () => {
  test('the lake key rotates', () => {
    dev.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: Match.stringLikeRegexp('lake buckets'),
    });
  });

  test.each(DATA_BUCKETS)('%s is encrypted with the lake key (SSE-KMS, bucket key)', (name) => {
    expect(bucketProps(name).BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(dev, dev.stack.lake.key), 'Arn'] },
          },
        },
      ],
    });
  });

  test.each([...DATA_BUCKETS, 'accessLogBucket'] as const)('%s blocks all public access', (name) => {
    expect(bucketProps(name).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  test.each([...DATA_BUCKETS, 'accessLogBucket'] as const)('%s denies requests without TLS', (name) => {
    dev.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(dev, dev.stack.lake[name]) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test.each(DATA_BUCKETS)('%s logs server access to the access-log bucket', (name) => {
    expect(bucketProps(name).LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(dev, dev.stack.lake.accessLogBucket) },
      LogFilePrefix: expect.stringMatching(/\/$/) as unknown,
    });
  });

  test('the access-log bucket is SSE-S3, as S3 log delivery requires', () => {
    expect(bucketProps('accessLogBucket').BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  test.each(['rawBucket', 'curatedBucket', 'quarantineBucket'] as const)(
    '%s is versioned and expires old versions',
    (name) => {
      const props = bucketProps(name);
      expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(props.LifecycleConfiguration).toEqual({
        Rules: expect.arrayContaining([
          expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
        ]) as unknown,
      });
    },
  );

  test('staging objects under staging/ expire after 14 days', () => {
    expect(bucketProps('stagingBucket').LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([
        expect.objectContaining({
          Id: 'expire-staging',
          Prefix: 'staging/',
          ExpirationInDays: 14,
          Status: 'Enabled',
        }),
      ]) as unknown,
    });
  });

  test('the classified Iceberg table lives outside the expiring staging/ prefix', () => {
    dev.template.hasResourceProperties('AWS::Glue::Table', {
      Name: 'classified',
      OpenTableFormatInput: {
        IcebergInput: {
          IcebergTableInput: {
            Location: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/iceberg/classified/'])] }),
          },
        },
      },
    });
  });

  test('Athena results expire after 7 days', () => {
    expect(bucketProps('athenaResultsBucket').LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([
        expect.objectContaining({ Id: 'expire-athena-results', ExpirationInDays: 7, Status: 'Enabled' }),
      ]) as unknown,
    });
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged in the lake', () => {
    expect(new AwsSolutionsChecks().validateScope(dev.stack.lake).violations).toEqual([]);
  });
});
