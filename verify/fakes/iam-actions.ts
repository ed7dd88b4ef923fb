import type { AwsScope, IamRequest } from './recorder';

/**
 * SDK v3 command -> the IAM authorization requests AWS makes for it, per the Service Authorization
 * Reference (SAR) and each operation's own "Permissions" section:
 *
 * - S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html and
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 *   (ListObjectsV2 -> s3:ListBucket on the bucket, condition keys s3:prefix / s3:delimiter / s3:max-keys;
 *   HeadObject needs s3:GetObject (HeadObject API "Permissions"); CopyObject reads the source and writes the
 *   target (CopyObject API "Permissions"); DeleteObjects is authorized per key as s3:DeleteObject; the
 *   multipart calls CreateMultipartUpload / UploadPart / CompleteMultipartUpload are s3:PutObject).
 * - DynamoDB: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 *   (table ARN `arn:aws:dynamodb:<region>:<account>:table/<name>`, an index `.../index/<name>`), and for
 *   transactions https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 *   ("Permissions for Put, Update, Delete, and Get actions are governed by the permissions used for the
 *   underlying PutItem, UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck action, you
 *   can use the dynamodb:ConditionCheckItem permission"; condition key dynamodb:EnclosingOperation).
 * - Athena: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html
 *   (query APIs are authorized on the workgroup ARN `arn:aws:athena:<region>:<account>:workgroup/<name>`).
 * - Glue (calls Athena makes): https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsglue.html
 *   and https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html (a table
 *   request is authorized on the catalog, the database and the table ARNs).
 *
 * A command this module does not know is refused (`UnmappedSdkCallError`) rather than recorded under a
 * guessed action: the proof must not vouch for IAM it has not checked.
 */

export class UnmappedSdkCallError extends Error {
  constructor(
    readonly service: string,
    readonly operation: string,
  ) {
    super(
      `verify/fakes: no IAM mapping for ${service} ${operation}; add it to verify/fakes/iam-actions.ts (with its Service Authorization Reference entry) before the proof may make this call`,
    );
    this.name = 'UnmappedSdkCallError';
  }
}

export const arns = {
  s3Bucket: (scope: AwsScope, bucket: string): string => `arn:${scope.partition}:s3:::${bucket}`,
  s3Object: (scope: AwsScope, bucket: string, key: string): string =>
    `arn:${scope.partition}:s3:::${bucket}/${key}`,
  dynamoTable: (scope: AwsScope, table: string): string =>
    // DynamoDB accepts a table ARN wherever it takes a TableName.
    table.startsWith('arn:')
      ? table
      : `arn:${scope.partition}:dynamodb:${scope.region}:${scope.account}:table/${table}`,
  athenaWorkGroup: (scope: AwsScope, workGroup: string): string =>
    `arn:${scope.partition}:athena:${scope.region}:${scope.account}:workgroup/${workGroup}`,
  athenaDataCatalog: (scope: AwsScope, catalog: string): string =>
    `arn:${scope.partition}:athena:${scope.region}:${scope.account}:datacatalog/${catalog}`,
  glueCatalog: (scope: AwsScope): string =>
    `arn:${scope.partition}:glue:${scope.region}:${scope.account}:catalog`,
  glueDatabase: (scope: AwsScope, database: string): string =>
    `arn:${scope.partition}:glue:${scope.region}:${scope.account}:database/${database}`,
  glueTable: (scope: AwsScope, database: string, table: string): string =>
    `arn:${scope.partition}:glue:${scope.region}:${scope.account}:table/${database}/${table}`,
};

type Input = Readonly<Record<string, unknown>>;

/** The IAM requests of one SDK call; throws `UnmappedSdkCallError` for a command not mapped here. */
export function iamRequestsFor(
  service: string,
  operation: string,
  input: Input,
  scope: AwsScope,
): IamRequest[] {
  switch (service) {
    case 'S3':
      return s3Requests(operation, input, scope);
    case 'DynamoDB':
      return dynamoRequests(operation, input, scope);
    case 'Athena':
      return athenaRequests(operation, input, scope, undefined);
    default:
      throw new UnmappedSdkCallError(service, operation);
  }
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

// ---------------------------------------------------------------------------------------------- S3

function s3Requests(operation: string, input: Input, scope: AwsScope): IamRequest[] {
  const bucket = str(input.Bucket) ?? '';
  const key = str(input.Key) ?? '';
  const object = arns.s3Object(scope, bucket, key);
  const versioned = (action: string, versionAction: string): string =>
    str(input.VersionId) !== undefined ? versionAction : action;
  switch (operation) {
    case 'ListObjectsV2':
    case 'ListObjects': {
      const context: Record<string, string> = {};
      if (str(input.Prefix) !== undefined) context['s3:prefix'] = input.Prefix as string;
      if (str(input.Delimiter) !== undefined) context['s3:delimiter'] = input.Delimiter as string;
      if (typeof input.MaxKeys === 'number') context['s3:max-keys'] = String(input.MaxKeys);
      return [
        {
          action: 's3:ListBucket',
          resources: [arns.s3Bucket(scope, bucket)],
          ...(Object.keys(context).length > 0 ? { context } : {}),
        },
      ];
    }
    case 'ListObjectVersions':
      return [{ action: 's3:ListBucketVersions', resources: [arns.s3Bucket(scope, bucket)] }];
    case 'HeadBucket':
      return [{ action: 's3:ListBucket', resources: [arns.s3Bucket(scope, bucket)] }];
    case 'GetBucketLocation':
      return [{ action: 's3:GetBucketLocation', resources: [arns.s3Bucket(scope, bucket)] }];
    case 'ListMultipartUploads':
      return [{ action: 's3:ListBucketMultipartUploads', resources: [arns.s3Bucket(scope, bucket)] }];
    case 'ListBuckets':
      return [{ action: 's3:ListAllMyBuckets', resources: ['*'] }];
    case 'GetObject':
    case 'HeadObject':
      return [{ action: versioned('s3:GetObject', 's3:GetObjectVersion'), resources: [object] }];
    case 'GetObjectTagging':
      return [
        { action: versioned('s3:GetObjectTagging', 's3:GetObjectVersionTagging'), resources: [object] },
      ];
    case 'PutObjectTagging':
      return [
        { action: versioned('s3:PutObjectTagging', 's3:PutObjectVersionTagging'), resources: [object] },
      ];
    case 'PutObject':
    case 'CreateMultipartUpload':
      return [
        { action: 's3:PutObject', resources: [object] },
        // PutObject API: "To use the Tagging header you need s3:PutObjectTagging"; an ACL needs s3:PutObjectAcl.
        ...(str(input.Tagging) !== undefined ? [{ action: 's3:PutObjectTagging', resources: [object] }] : []),
        ...(str(input.ACL) !== undefined ? [{ action: 's3:PutObjectAcl', resources: [object] }] : []),
      ];
    case 'UploadPart':
    case 'CompleteMultipartUpload':
      return [{ action: 's3:PutObject', resources: [object] }];
    case 'AbortMultipartUpload':
      return [{ action: 's3:AbortMultipartUpload', resources: [object] }];
    case 'ListParts':
      return [{ action: 's3:ListMultipartUploadParts', resources: [object] }];
    case 'DeleteObject':
      return [{ action: versioned('s3:DeleteObject', 's3:DeleteObjectVersion'), resources: [object] }];
    case 'DeleteObjects': {
      const objects = ((input.Delete as { Objects?: { Key?: string; VersionId?: string }[] } | undefined)
        ?.Objects ?? []) as { Key?: string; VersionId?: string }[];
      const plain = objects
        .filter((o) => o.VersionId === undefined)
        .map((o) => arns.s3Object(scope, bucket, o.Key ?? ''));
      const versions = objects
        .filter((o) => o.VersionId !== undefined)
        .map((o) => arns.s3Object(scope, bucket, o.Key ?? ''));
      return [
        ...(plain.length > 0 ? [{ action: 's3:DeleteObject', resources: plain }] : []),
        ...(versions.length > 0 ? [{ action: 's3:DeleteObjectVersion', resources: versions }] : []),
      ];
    }
    case 'CopyObject':
    case 'UploadPartCopy': {
      const source = parseCopySource(str(input.CopySource) ?? '');
      return [
        {
          action: source.versionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject',
          resources: [arns.s3Object(scope, source.bucket, source.key)],
        },
        { action: 's3:PutObject', resources: [object] },
        ...(operation === 'CopyObject' &&
        input.TaggingDirective === 'REPLACE' &&
        str(input.Tagging) !== undefined
          ? [{ action: 's3:PutObjectTagging', resources: [object] }]
          : []),
      ];
    }
    default:
      throw new UnmappedSdkCallError('S3', operation);
  }
}

/**
 * CopySource is `bucket/key[?versionId=id]`, URL-encoded ("The value must be URL-encoded", CopyObject API,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html); a leading `/` is allowed.
 */
export function parseCopySource(copySource: string): { bucket: string; key: string; versionId?: string } {
  const [path = '', query] = copySource.split('?', 2);
  const decoded = decodeURIComponent(path.startsWith('/') ? path.slice(1) : path);
  const slash = decoded.indexOf('/');
  const bucket = slash < 0 ? decoded : decoded.slice(0, slash);
  const key = slash < 0 ? '' : decoded.slice(slash + 1);
  const versionId =
    query === undefined ? undefined : (new URLSearchParams(query).get('versionId') ?? undefined);
  return { bucket, key, ...(versionId !== undefined ? { versionId } : {}) };
}

// ---------------------------------------------------------------------------------------- DynamoDB

/** lib-dynamodb document-client commands and the low-level operation (and IAM action) each one runs. */
const DOCUMENT_CLIENT_OPERATIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/** Operations authorized as `dynamodb:<Operation>` on the one table named by `TableName`. */
const DYNAMO_TABLE_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'DescribeTable',
  'CreateTable',
  'DeleteTable',
  'UpdateTable',
  'DescribeTimeToLive',
  'UpdateTimeToLive',
  'DescribeContinuousBackups',
]);

function dynamoRequests(rawOperation: string, input: Input, scope: AwsScope): IamRequest[] {
  const operation = DOCUMENT_CLIENT_OPERATIONS[rawOperation] ?? rawOperation;
  const table = (name: unknown): string => arns.dynamoTable(scope, str(name) ?? '');
  if (DYNAMO_TABLE_OPERATIONS.has(operation)) {
    return [{ action: `dynamodb:${operation}`, resources: [table(input.TableName)] }];
  }
  switch (operation) {
    case 'Query':
    case 'Scan': {
      const index = str(input.IndexName);
      return [
        {
          action: `dynamodb:${operation}`,
          resources: [
            index === undefined ? table(input.TableName) : `${table(input.TableName)}/index/${index}`,
          ],
        },
      ];
    }
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return [
        {
          action: `dynamodb:${operation}`,
          resources: Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {}).map(
            table,
          ),
        },
      ];
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const actionOf: Readonly<Record<string, string>> = {
        Put: 'dynamodb:PutItem',
        Update: 'dynamodb:UpdateItem',
        Delete: 'dynamodb:DeleteItem',
        ConditionCheck: 'dynamodb:ConditionCheckItem',
        Get: 'dynamodb:GetItem',
      };
      const byAction = new Map<string, string[]>();
      for (const item of (input.TransactItems as Record<string, { TableName?: string }>[] | undefined) ??
        []) {
        for (const [kind, request] of Object.entries(item)) {
          const action = actionOf[kind];
          if (action === undefined) throw new UnmappedSdkCallError('DynamoDB', `${operation} ${kind}`);
          const resource = table(request.TableName);
          const resources = byAction.get(action) ?? [];
          if (!resources.includes(resource)) resources.push(resource);
          byAction.set(action, resources);
        }
      }
      return [...byAction].map(([action, resources]) => ({
        action,
        resources,
        context: { 'dynamodb:EnclosingOperation': operation },
      }));
    }
    case 'ListTables':
    case 'DescribeEndpoints':
    case 'DescribeLimits':
      return [{ action: `dynamodb:${operation}`, resources: ['*'] }];
    default:
      throw new UnmappedSdkCallError('DynamoDB', rawOperation);
  }
}

// ------------------------------------------------------------------------------------------ Athena

/** Athena query APIs: the workgroup ARN (of the request, or of the query for the calls naming a query id). */
export function athenaRequests(
  operation: string,
  input: Input,
  scope: AwsScope,
  workGroupOfQuery: ((queryExecutionId: string) => string | undefined) | undefined,
): IamRequest[] {
  const workGroup = (name: string | undefined): string => arns.athenaWorkGroup(scope, name ?? 'primary');
  switch (operation) {
    case 'StartQueryExecution': {
      const catalog = str((input.QueryExecutionContext as Input | undefined)?.Catalog);
      return [
        { action: 'athena:StartQueryExecution', resources: [workGroup(str(input.WorkGroup))] },
        // StartQueryExecution API: "Running queries against an external catalog requires GetDataCatalog
        // permission to the catalog." AwsDataCatalog is Athena's own (Glue) catalog.
        ...(catalog !== undefined && catalog !== 'AwsDataCatalog'
          ? [{ action: 'athena:GetDataCatalog', resources: [arns.athenaDataCatalog(scope, catalog)] }]
          : []),
      ];
    }
    case 'GetQueryExecution':
    case 'GetQueryResults':
    case 'StopQueryExecution':
    case 'GetQueryRuntimeStatistics': {
      const id = str(input.QueryExecutionId) ?? '';
      const known = workGroupOfQuery?.(id);
      if (workGroupOfQuery !== undefined && known === undefined) {
        // A query id nobody started: there is no workgroup to authorize against.
        return [{ action: `athena:${operation}`, resources: ['*'] }];
      }
      if (known === undefined)
        throw new UnmappedSdkCallError(
          'Athena',
          `${operation} (the query's workgroup is known only to the Athena fake)`,
        );
      return [{ action: `athena:${operation}`, resources: [workGroup(known)] }];
    }
    case 'ListQueryExecutions':
    case 'GetWorkGroup':
      return [{ action: `athena:${operation}`, resources: [workGroup(str(input.WorkGroup))] }];
    default:
      throw new UnmappedSdkCallError('Athena', operation);
  }
}
