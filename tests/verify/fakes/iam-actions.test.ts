import { iamRequestsFor, parseCopySource, UnmappedSdkCallError } from '../../../verify/fakes/iam-actions';
import { CallRecorder, DEFAULT_SCOPE } from '../../../verify/fakes/recorder';

const scope = DEFAULT_SCOPE;
const table = (name: string) => `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`;

describe('iamRequestsFor', () => {
  describe('S3 (Service Authorization Reference: list_amazons3)', () => {
    it('authorizes ListObjectsV2 as s3:ListBucket on the bucket, with the s3:prefix / s3:delimiter / s3:max-keys keys', () => {
      expect(
        iamRequestsFor(
          'S3',
          'ListObjectsV2',
          { Bucket: 'raw-bucket', Prefix: 'raw/2024/', Delimiter: '/', MaxKeys: 10 },
          scope,
        ),
      ).toEqual([
        {
          action: 's3:ListBucket',
          resources: ['arn:aws:s3:::raw-bucket'],
          context: { 's3:prefix': 'raw/2024/', 's3:delimiter': '/', 's3:max-keys': '10' },
        },
      ]);
      expect(iamRequestsFor('S3', 'ListObjectsV2', { Bucket: 'raw-bucket' }, scope)).toEqual([
        { action: 's3:ListBucket', resources: ['arn:aws:s3:::raw-bucket'] },
      ]);
    });

    it.each(['GetObject', 'HeadObject'])(
      'authorizes %s as s3:GetObject on the object (s3:GetObjectVersion for a version)',
      (operation) => {
        expect(iamRequestsFor('S3', operation, { Bucket: 'b-1', Key: 'a/b c.json' }, scope)).toEqual([
          { action: 's3:GetObject', resources: ['arn:aws:s3:::b-1/a/b c.json'] },
        ]);
        expect(iamRequestsFor('S3', operation, { Bucket: 'b-1', Key: 'k', VersionId: 'v1' }, scope)).toEqual([
          { action: 's3:GetObjectVersion', resources: ['arn:aws:s3:::b-1/k'] },
        ]);
      },
    );

    it('authorizes CopyObject as s3:GetObject on the URL-decoded source and s3:PutObject on the target', () => {
      expect(
        iamRequestsFor(
          'S3',
          'CopyObject',
          {
            Bucket: 'curated',
            Key: 'events/x.parquet',
            CopySource: 'staging/_pending/event_type%3Dlesson/na%C3%AFve%20100%25.parquet',
          },
          scope,
        ),
      ).toEqual([
        {
          action: 's3:GetObject',
          resources: ['arn:aws:s3:::staging/_pending/event_type=lesson/na\u00efve 100%.parquet'],
        },
        { action: 's3:PutObject', resources: ['arn:aws:s3:::curated/events/x.parquet'] },
      ]);
    });

    it('authorizes DeleteObject, and DeleteObjects per key, as s3:DeleteObject', () => {
      expect(iamRequestsFor('S3', 'DeleteObject', { Bucket: 'b-1', Key: 'k' }, scope)).toEqual([
        { action: 's3:DeleteObject', resources: ['arn:aws:s3:::b-1/k'] },
      ]);
      expect(
        iamRequestsFor(
          'S3',
          'DeleteObjects',
          { Bucket: 'b-1', Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }] } },
          scope,
        ),
      ).toEqual([{ action: 's3:DeleteObject', resources: ['arn:aws:s3:::b-1/a', 'arn:aws:s3:::b-1/b'] }]);
    });

    it.each([
      ['CreateMultipartUpload', 's3:PutObject'],
      ['UploadPart', 's3:PutObject'],
      ['CompleteMultipartUpload', 's3:PutObject'],
      ['AbortMultipartUpload', 's3:AbortMultipartUpload'],
      ['ListParts', 's3:ListMultipartUploadParts'],
    ])('authorizes multipart %s as %s on the object', (operation, action) => {
      expect(iamRequestsFor('S3', operation, { Bucket: 'b-1', Key: 'big', UploadId: 'u' }, scope)).toEqual([
        { action, resources: ['arn:aws:s3:::b-1/big'] },
      ]);
    });

    it('adds s3:PutObjectTagging when PutObject carries tags', () => {
      expect(
        iamRequestsFor('S3', 'PutObject', { Bucket: 'b-1', Key: 'k', Tagging: 'a=b' }, scope).map(
          (r) => r.action,
        ),
      ).toEqual(['s3:PutObject', 's3:PutObjectTagging']);
    });
  });

  describe('DynamoDB (list_amazondynamodb, transaction-apis-iam)', () => {
    it('authorizes single-item calls on the table ARN, in the recorder Region and account', () => {
      const recorder = new CallRecorder({ account: '111122223333', region: 'eu-west-1' });
      expect(iamRequestsFor('DynamoDB', 'UpdateItem', { TableName: 'state' }, recorder.scope)).toEqual([
        { action: 'dynamodb:UpdateItem', resources: ['arn:aws:dynamodb:eu-west-1:111122223333:table/state'] },
      ]);
    });

    it('authorizes BatchGetItem and BatchWriteItem on every table of RequestItems', () => {
      expect(
        iamRequestsFor('DynamoDB', 'BatchGetItem', { RequestItems: { state: {}, control: {} } }, scope),
      ).toEqual([{ action: 'dynamodb:BatchGetItem', resources: [table('state'), table('control')] }]);
      expect(iamRequestsFor('DynamoDB', 'BatchWriteItem', { RequestItems: { control: [] } }, scope)).toEqual([
        { action: 'dynamodb:BatchWriteItem', resources: [table('control')] },
      ]);
    });

    it('authorizes TransactWriteItems as the per-item actions, with dynamodb:EnclosingOperation', () => {
      const requests = iamRequestsFor(
        'DynamoDB',
        'TransactWriteItems',
        {
          TransactItems: [
            { Put: { TableName: 'state' } },
            { Update: { TableName: 'control' } },
            { ConditionCheck: { TableName: 'state' } },
            { Delete: { TableName: 'state' } },
            { Put: { TableName: 'control' } },
          ],
        },
        scope,
      );
      const context = { 'dynamodb:EnclosingOperation': 'TransactWriteItems' };
      expect(requests).toEqual([
        { action: 'dynamodb:PutItem', resources: [table('state'), table('control')], context },
        { action: 'dynamodb:UpdateItem', resources: [table('control')], context },
        { action: 'dynamodb:ConditionCheckItem', resources: [table('state')], context },
        { action: 'dynamodb:DeleteItem', resources: [table('state')], context },
      ]);
    });

    it('authorizes a Query on an index against the index ARN', () => {
      expect(
        iamRequestsFor('DynamoDB', 'Query', { TableName: 'state', IndexName: 'by-batch' }, scope),
      ).toEqual([{ action: 'dynamodb:Query', resources: [`${table('state')}/index/by-batch`] }]);
    });

    it('maps the lib-dynamodb document commands to their item actions', () => {
      expect(iamRequestsFor('DynamoDB', 'BatchGet', { RequestItems: { state: {} } }, scope)).toEqual([
        { action: 'dynamodb:BatchGetItem', resources: [table('state')] },
      ]);
    });
  });

  describe('Athena (list_amazonathena)', () => {
    it('authorizes StartQueryExecution on the workgroup ARN (primary by default)', () => {
      expect(
        iamRequestsFor(
          'Athena',
          'StartQueryExecution',
          { QueryString: 'SELECT 1', WorkGroup: 'eventlake' },
          scope,
        ),
      ).toEqual([
        {
          action: 'athena:StartQueryExecution',
          resources: ['arn:aws:athena:us-east-1:123456789012:workgroup/eventlake'],
        },
      ]);
      expect(
        iamRequestsFor('Athena', 'StartQueryExecution', { QueryString: 'SELECT 1' }, scope)[0]?.resources,
      ).toEqual(['arn:aws:athena:us-east-1:123456789012:workgroup/primary']);
    });

    it('adds athena:GetDataCatalog for a catalog other than AwsDataCatalog', () => {
      expect(
        iamRequestsFor(
          'Athena',
          'StartQueryExecution',
          { QueryString: 'SELECT 1', QueryExecutionContext: { Catalog: 'ext' } },
          scope,
        ).map((r) => r.action),
      ).toEqual(['athena:StartQueryExecution', 'athena:GetDataCatalog']);
    });

    it("refuses GetQueryExecution without the Athena fake, which alone knows the query's workgroup", () => {
      expect(() => iamRequestsFor('Athena', 'GetQueryExecution', { QueryExecutionId: 'q' }, scope)).toThrow(
        UnmappedSdkCallError,
      );
    });
  });

  it('refuses an unknown service or command', () => {
    expect(() => iamRequestsFor('Kinesis', 'PutRecord', {}, scope)).toThrow(UnmappedSdkCallError);
    expect(() => iamRequestsFor('S3', 'PutBucketPolicy', {}, scope)).toThrow(
      /no IAM mapping for S3 PutBucketPolicy/,
    );
  });
});

describe('parseCopySource', () => {
  it('decodes bucket/key, with or without a leading "/", and a versionId', () => {
    expect(parseCopySource('/b-1/a%2Fb%3F.txt?versionId=v%201')).toEqual({
      bucket: 'b-1',
      key: 'a/b?.txt',
      versionId: 'v 1',
    });
    expect(parseCopySource('b-1/k')).toEqual({ bucket: 'b-1', key: 'k' });
  });
});
