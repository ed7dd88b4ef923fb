import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import type { Catalog } from './catalog';
import { LakePrefixes } from './lake';
import type { TaskGrant } from './task-function';
import {
  GLUE_PARTITIONED_TABLES,
  TABLE_LOCATIONS,
  type DynamoAction,
  type GlueTable,
  type LakeBucket,
  type TaskAccess,
} from './task-specs';

/** The resources grants are written against: object references, never ARN strings. */
export interface AccessResources {
  readonly buckets: Readonly<Record<LakeBucket, IBucket>>;
  readonly key: IKey;
  readonly userStateTable: ITable;
  readonly controlTable: ITable;
  readonly catalog: Catalog;
  readonly glueTables: Readonly<Record<GlueTable, CfnTable>>;
}

/** An Athena workload: the tables it reads and writes and the API calls its caller makes. */
export interface AthenaWorkload {
  readonly read: readonly GlueTable[];
  readonly write: readonly GlueTable[];
  /** Step Functions' `.sync` integration polls the execution; a Lambda also reads the result rows. */
  readonly readsResults: boolean;
  /** Who runs the queries, for the reasons given to cdk-nag. */
  readonly caller: string;
  /**
   * Iceberg tables whose files the caller's statements delete (VACUUM's snapshot expiration and orphan file
   * removal): "your query execution role must have s3:DeleteObject permissions on the bucket where your
   * Iceberg tables, metadata, snapshots, and data files are located. If the permission is not present, the
   * VACUUM query will succeed, but the files will not be deleted"
   * (https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html).
   */
  readonly deletesFiles?: readonly GlueTable[];
}

interface ObjectGrant {
  readonly bucket: LakeBucket;
  readonly prefix: string;
  readonly actions: Set<string>;
  readonly reasons: string[];
}

/**
 * Turns declared access (TaskAccess, AthenaWorkload) into IAM statements, by hand and per resource:
 * object grants are scoped to key prefixes, ListBucket to `s3:prefix`, DynamoDB to each action on its
 * table, Glue to the catalog, database and named tables, Athena to the workgroup, KMS to the lake key.
 * No statement uses a service-wide wildcard; wildcard object resources carry the reason cdk-nag is told.
 */
export class AccessPolicyBuilder {
  constructor(private readonly resources: AccessResources) {}

  /** Grants of one task (`task` names it in the reasons given to cdk-nag). */
  taskGrants(task: string, access: TaskAccess): TaskGrant[] {
    const objects = new Map<string, ObjectGrant>();
    const lists = new Map<LakeBucket, Set<string>>();
    const kms = new Set<string>();
    const grants: TaskGrant[] = [];

    for (const { bucket, prefix } of access.list ?? []) addList(lists, bucket, prefix);
    for (const o of access.objects ?? []) {
      const actions = [
        ...(o.read ? ['s3:GetObject'] : []),
        ...(o.write ? ['s3:PutObject'] : []),
        ...(o.delete ? ['s3:DeleteObject'] : []),
      ];
      addObjects(objects, o.bucket, o.prefix, actions, o.why);
      // Listing the prefix it reads lets S3 answer a missing key with NoSuchKey (the adapter's
      // ObjectNotFound) instead of AccessDenied.
      if (o.read) addList(lists, o.bucket, o.prefix);
      if (o.read) kms.add('kms:Decrypt');
      if (o.write) kms.add('kms:GenerateDataKey');
    }
    if (access.athena) {
      grants.push(...this.athenaApiGrants({ ...access.athena, readsResults: true, caller: task }));
      this.athenaObjectAccess({ ...access.athena, readsResults: true, caller: task }, objects, lists);
      kms.add('kms:Decrypt').add('kms:GenerateDataKey');
    }
    for (const [table, actions] of [
      [this.resources.userStateTable, access.userState],
      [this.resources.controlTable, access.control],
    ] as const) {
      if (actions === undefined || actions.length === 0) continue;
      grants.push({ statement: dynamoStatement(table, actions) });
      kms.add('kms:Decrypt').add('kms:DescribeKey');
      if (actions.some((a) => WRITE_ACTIONS.has(a))) kms.add('kms:Encrypt').add('kms:GenerateDataKey');
    }
    grants.push(...this.s3Grants(objects, lists, access.athena !== undefined));
    if (kms.size > 0) grants.push({ statement: this.kmsStatement(kms) });
    return grants;
  }

  /** Grants Step Functions needs to run an Athena statement natively (startQueryExecution.sync). */
  athenaGrants(workload: AthenaWorkload): TaskGrant[] {
    const objects = new Map<string, ObjectGrant>();
    const lists = new Map<LakeBucket, Set<string>>();
    this.athenaObjectAccess(workload, objects, lists);
    return [
      ...this.athenaApiGrants(workload),
      ...this.s3Grants(objects, lists, true),
      { statement: this.kmsStatement(new Set(['kms:Decrypt', 'kms:GenerateDataKey'])) },
    ];
  }

  private athenaApiGrants(workload: AthenaWorkload): TaskGrant[] {
    const { catalog, glueTables } = this.resources;
    const tables = [...new Set([...workload.read, ...workload.write])];
    const grants: TaskGrant[] = [
      {
        statement: new PolicyStatement({
          sid: 'AthenaQueries',
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:StopQueryExecution',
            ...(workload.readsResults ? ['athena:GetQueryResults'] : []),
          ],
          resources: [catalog.workGroupArn()],
        }),
      },
      {
        statement: new PolicyStatement({
          sid: 'GlueRead',
          actions: ['glue:GetDatabase', 'glue:GetTable'],
          resources: catalog.glueArns(tables.map((t) => glueTables[t])),
        }),
      },
    ];
    const partitioned = workload.read.filter((t) => GLUE_PARTITIONED_TABLES.includes(t));
    if (partitioned.length > 0) {
      grants.push({
        statement: new PolicyStatement({
          sid: 'GluePartitions',
          actions: ['glue:GetPartitions'],
          resources: catalog.glueArns(partitioned.map((t) => glueTables[t])),
        }),
      });
    }
    if (workload.write.length > 0) {
      grants.push({
        statement: new PolicyStatement({
          sid: 'GlueIcebergCommit',
          actions: ['glue:UpdateTable'],
          resources: catalog.glueArns(workload.write.map((t) => glueTables[t])),
        }),
      });
    }
    return grants;
  }

  /** Athena reads and writes table files and results with the caller's own S3 permissions. */
  private athenaObjectAccess(
    workload: AthenaWorkload,
    objects: Map<string, ObjectGrant>,
    lists: Map<LakeBucket, Set<string>>,
  ): void {
    for (const table of new Set([...workload.read, ...workload.write])) {
      const { bucket, prefix } = TABLE_LOCATIONS[table];
      const writes = workload.write.includes(table);
      const deletes = workload.deletesFiles?.includes(table) === true;
      addList(lists, bucket, prefix);
      addObjects(
        objects,
        bucket,
        prefix,
        writes ? ['s3:GetObject', 's3:PutObject', ...(deletes ? ['s3:DeleteObject'] : [])] : ['s3:GetObject'],
        `${workload.caller} queries the ${table} table in Athena, which ${writes ? `reads and writes${deletes ? ' (and VACUUM deletes)' : ''}` : 'reads'} the table's files under ${prefix}: their names (per batch, per Iceberg commit) are not known in advance`,
      );
    }
    addList(lists, 'athenaResults', LakePrefixes.athenaResults);
    addObjects(
      objects,
      'athenaResults',
      LakePrefixes.athenaResults,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      `${workload.caller} runs Athena queries; Athena names their result files by query id under ${LakePrefixes.athenaResults}`,
    );
  }

  private s3Grants(
    objects: Map<string, ObjectGrant>,
    lists: Map<LakeBucket, Set<string>>,
    athena = false,
  ): TaskGrant[] {
    const { buckets } = this.resources;
    const grants: TaskGrant[] = [];
    for (const [bucket, prefixes] of lists) {
      grants.push({
        statement: new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [buckets[bucket].bucketArn],
          conditions: { StringLike: { 's3:prefix': [...prefixes].sort().map((p) => `${p}*`) } },
        }),
      });
    }
    if (athena) {
      // Athena asks where each bucket is and lists unfinished uploads of results; neither call carries s3:prefix.
      grants.push({
        statement: new PolicyStatement({
          sid: 'AthenaBuckets',
          actions: ['s3:GetBucketLocation'],
          resources: [...lists.keys()].sort().map((bucket) => buckets[bucket].bucketArn),
        }),
      });
      grants.push({
        statement: new PolicyStatement({
          sid: 'AthenaResultUploads',
          actions: ['s3:ListBucketMultipartUploads'],
          resources: [buckets.athenaResults.bucketArn],
        }),
      });
    }
    for (const grant of objects.values()) {
      grants.push({
        statement: new PolicyStatement({
          actions: [...grant.actions].sort(),
          resources: [buckets[grant.bucket].arnForObjects(`${grant.prefix}*`)],
        }),
        wildcardReason: grant.reasons.join('; '),
      });
    }
    return grants;
  }

  private kmsStatement(actions: Set<string>): PolicyStatement {
    return new PolicyStatement({
      sid: 'LakeKey',
      actions: [...actions].sort(),
      resources: [this.resources.key.keyArn],
    });
  }
}

const WRITE_ACTIONS: ReadonlySet<DynamoAction> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

function dynamoStatement(table: ITable, actions: readonly DynamoAction[]): PolicyStatement {
  return new PolicyStatement({
    actions: [...actions].sort().map((a) => `dynamodb:${a}`),
    resources: [table.tableArn],
  });
}

function addList(lists: Map<LakeBucket, Set<string>>, bucket: LakeBucket, prefix: string): void {
  let prefixes = lists.get(bucket);
  if (prefixes === undefined) lists.set(bucket, (prefixes = new Set()));
  prefixes.add(prefix);
}

function addObjects(
  objects: Map<string, ObjectGrant>,
  bucket: LakeBucket,
  prefix: string,
  actions: readonly string[],
  reason: string,
): void {
  const id = `${bucket}/${prefix}`;
  let grant = objects.get(id);
  if (grant === undefined) objects.set(id, (grant = { bucket, prefix, actions: new Set(), reasons: [] }));
  for (const action of actions) grant.actions.add(action);
  grant.reasons.push(reason);
}
