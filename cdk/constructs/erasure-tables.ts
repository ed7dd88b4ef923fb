import type { RemovalPolicy } from 'aws-cdk-lib';
import type { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ATHENA_TABLES } from '../../src/workflow/athena-tables';
import { listedJsonTable } from './json-table';
import { LakePrefixes } from './lake';

/**
 * The two Glue tables the classification reads to suppress forgotten users (sql/athena/classify_batch.sql,
 * docs/operations.md#forgetting-a-user), unpartitioned external NDJSON tables in the curated bucket:
 * - `erased_users` over `erasures/log/`: one erasure record per forgotten user, `user_hash` its salted hash;
 * - `erasure_salt` over `erasures/`: `salt` from `erasures/salt.json`. A Glue location is a folder, never a
 *   file ("Do not use file names ... to specify file location",
 *   https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html), and Athena "reads all data
 *   stored in the Amazon S3 folder that you specify" (same page): the records under `log/`, should Athena
 *   read them too, have no `salt` (null), and the query takes `max(salt)`.
 * Each file is one JSON object on one line, as the Hive JSON SerDe expects ("The SerDe expects each JSON
 * document to be on a single line of text", https://docs.aws.amazon.com/athena/latest/ug/hive-json-serde.html;
 * src/pipeline/erasure-log.ts writes them with JSON.stringify); the fields a table does not declare are not read.
 * The salt is read by the query from S3, so it never appears in a state machine definition or execution history.
 */
export function erasureTables(
  scope: Construct,
  props: { databaseName: string; database: CfnDatabase; curatedBucket: IBucket; removalPolicy: RemovalPolicy },
): { erasedUsers: CfnTable; erasureSalt: CfnTable } {
  const table = (id: string, name: string, description: string, prefix: string, column: { name: string; comment: string }) =>
    listedJsonTable(scope, id, {
      databaseName: props.databaseName,
      database: props.database,
      name,
      description,
      location: `s3://${props.curatedBucket.bucketName}/${prefix}`,
      columns: [{ name: column.name, type: 'string', comment: column.comment }],
      removalPolicy: props.removalPolicy,
    });
  return {
    erasedUsers: table(
      'ErasedUsersTable',
      ATHENA_TABLES.erasedUsers,
      'One row per forgotten user: the salted hash of the id (erasures/log/<user_hash>.json), never the id',
      LakePrefixes.erasureRecords,
      { name: 'user_hash', comment: 'sha256 (lower-case hex) of the lake salt followed by the user id' },
    ),
    erasureSalt: table(
      'ErasureSaltTable',
      ATHENA_TABLES.erasureSalt,
      "The lake's erasure salt (erasures/salt.json, created by the first forget); read by the classification only",
      LakePrefixes.erasures,
      { name: 'salt', comment: '32 random bytes as hex' },
    ),
  };
}
