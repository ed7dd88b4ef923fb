import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createEventLakeApp, offlineAppProps } from '../../cdk/eventlake-app';
import { DEFAULT_RETENTION, type Retention } from '../../src/ports/retention';
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

  interface Rule {
    Id: string;
    Prefix?: string;
    ExpirationInDays?: number;
  }
  /** The lifecycle rules with an expiration of each data bucket, as `prefix -> days`. */
  function expirations(stage: SynthesizedStage): Record<string, Record<string, number>> {
    const resources = stage.template.toJSON().Resources as Record<string, { Properties: { LifecycleConfiguration?: { Rules: Rule[] } } }>;
    const out: Record<string, Record<string, number>> = {};
    for (const name of ['rawBucket', 'curatedBucket', 'stagingBucket', 'quarantineBucket'] as const) {
      const rules = resources[logicalId(stage, stage.stack.lake[name])]!.Properties.LifecycleConfiguration?.Rules ?? [];
      out[name] = Object.fromEntries(
        rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => [`${r.Id} ${r.Prefix ?? '(whole bucket)'}`, r.ExpirationInDays!]),
      );
    }
    return out;
  }

  /** What src/ports/retention.ts says each bucket's rules must be. */
  function expected(retention: Retention): Record<string, Record<string, number>> {
    return {
      rawBucket: { [`expire-raw raw/`]: retention.raw!, [`expire-raw-errors raw-errors/`]: retention.raw! },
      curatedBucket: {},
      stagingBucket: { [`expire-staging staging/`]: retention.staging! },
      quarantineBucket: { [`expire-quarantine quarantine/`]: retention.quarantine! },
    };
  }

  function synthWith(context: Record<string, unknown>): SynthesizedStage {
    const props = offlineAppProps('dev');
    const { app, stack } = createEventLakeApp({ ...props, context: { ...props.context, ...context } });
    return { app, stack, template: Template.fromStack(stack) };
  }

  test.each(['dev', 'prod'] as const)('%s: each area expires by the retention definition (raw 90, staging 14, quarantine 365 days), curated never', (stage) => {
    expect(DEFAULT_RETENTION).toEqual({ raw: 90, staging: 14, quarantine: 365, curated: null });
    expect(expirations(synthStage(stage))).toEqual(expected(DEFAULT_RETENTION));
  });

  test('-c retention.<area> changes that area\'s rule; keep removes it', () => {
    const stage = synthWith({ 'retention.raw': '30', 'retention.quarantine': 'keep' });
    expect(expirations(stage)).toEqual({ ...expected({ ...DEFAULT_RETENTION, raw: 30 }), quarantineBucket: {} });
  });

  test('curated retention refuses to synthesize: a lifecycle rule would delete files the Iceberg table lists', () => {
    expect(() => synthWith({ 'retention.curated': '400' })).toThrow(/curated retention of 400 days cannot be an S3 lifecycle rule .* use -c retention.curated=keep/);
  });

  test('raw retention must outlive the scheduled lookback, and days must be whole and positive', () => {
    expect(() => synthWith({ 'retention.raw': '3' })).toThrow(/-c retention.raw=3: raw objects must be kept longer than the 72-hour lookback/);
    expect(() => synthWith({ 'retention.staging': '0' })).toThrow(/-c retention.staging: "0" is not a retention: use a whole number of days >= 1, or "keep"/);
  });

  test('expired objects of versioned buckets (raw, quarantine) go for good once noncurrent for 30 days', () => {
    for (const name of ['rawBucket', 'quarantineBucket'] as const) {
      const rules = (bucketProps(name).LifecycleConfiguration as { Rules: { Id: string; NoncurrentVersionExpiration?: unknown }[] }).Rules;
      expect(rules.find((r) => r.Id === 'expire-noncurrent-versions')).toMatchObject({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } });
    }
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
