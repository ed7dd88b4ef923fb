import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { asArray, logicalId, roleStatements, synthStage, type SynthesizedStage } from './app-fixture';

let dev: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
});

function s3Destination(): Record<string, unknown> {
  const resources = dev.template.findResources('AWS::KinesisFirehose::DeliveryStream');
  const [stream] = Object.values(resources) as {
    Properties: { ExtendedS3DestinationConfiguration: Record<string, unknown> };
  }[];
  return stream!.Properties.ExtendedS3DestinationConfiguration;
}

describe('Ingestion', () => {
  test('the Kinesis stream is on-demand', () => {
    dev.template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
  });

  test('the Kinesis stream is KMS-encrypted', () => {
    dev.template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  test('Firehose reads the stream', () => {
    dev.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: { 'Fn::GetAtt': [logicalId(dev, dev.stack.ingestion.stream), 'Arn'] },
      },
    });
  });

  test('Firehose writes GZIP objects to the raw bucket', () => {
    expect(s3Destination()).toMatchObject({
      BucketARN: { 'Fn::GetAtt': [logicalId(dev, dev.stack.lake.rawBucket), 'Arn'] },
      CompressionFormat: 'GZIP',
    });
  });

  test('Firehose appends a newline delimiter to every record', () => {
    expect(s3Destination().ProcessingConfiguration).toEqual({
      Enabled: true,
      Processors: [{ Type: 'AppendDelimiterToRecord' }],
    });
  });

  test('raw objects land under their UTC arrival hour, errors under raw-errors/ by type', () => {
    expect(s3Destination()).toMatchObject({
      Prefix: 'raw/!{timestamp:yyyy/MM/dd/HH}/',
      ErrorOutputPrefix: 'raw-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/',
    });
  });

  test('Firehose buffers 128 MiB or 300 s', () => {
    expect(s3Destination().BufferingHints).toEqual({ SizeInMBs: 128, IntervalInSeconds: 300 });
  });

  test('Firehose writes SSE-KMS objects with the lake key', () => {
    expect(s3Destination().EncryptionConfiguration).toEqual({
      KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [logicalId(dev, dev.stack.lake.key), 'Arn'] } },
    });
  });

  test('Firehose logs delivery errors to its own log group', () => {
    expect(s3Destination().CloudWatchLoggingOptions).toEqual({
      Enabled: true,
      LogGroupName: { Ref: logicalId(dev, dev.stack.ingestion.deliveryLogGroup) },
      LogStreamName: { Ref: expect.stringMatching(/^IngestionDeliveryLogStream/) as unknown },
    });
    dev.template.hasResourceProperties('AWS::Logs::LogStream', { LogStreamName: 'S3Delivery' });
  });

  test('the delivery role only reads its stream and writes raw/ and raw-errors/ of the raw bucket', () => {
    const statements = roleStatements(dev.template, logicalId(dev, dev.stack.ingestion.deliveryRole));
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    expect(resources).toContain(logicalId(dev, dev.stack.ingestion.stream));
    expect(resources).not.toContain(logicalId(dev, dev.stack.lake.curatedBucket));
    const objectWrites = statements.filter((s) => asArray(s.Action).includes('s3:PutObject'));
    expect(objectWrites).toHaveLength(1);
    const written = JSON.stringify(objectWrites[0]!.Resource);
    expect(written).toContain('"/raw/*"');
    expect(written).toContain('"/raw-errors/*"');
  });

  test('the delivery role trusts only Firehose of this account', () => {
    dev.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged in ingestion', () => {
    expect(new AwsSolutionsChecks().validateScope(dev.stack.ingestion).violations).toEqual([]);
  });
});
