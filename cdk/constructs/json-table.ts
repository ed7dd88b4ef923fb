import { Aws, type RemovalPolicy } from 'aws-cdk-lib';
import { CfnTable, type CfnDatabase } from 'aws-cdk-lib/aws-glue';
import type { Construct } from 'constructs';
import type { ColumnSpec } from './catalog-schemas';

/**
 * An unpartitioned external NDJSON table: Athena reads every object under its location, so a query needs to
 * name no partition. "When you create a table used by Amazon Athena, and you do not specify any
 * partitionKeys, you must at least set the value of partitionKeys to an empty list" (Glue Table structure,
 * https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-catalog-tables.html). "Athena reads all data
 * stored in the Amazon S3 folder that you specify" and, for a non-partitioned table, "uses the LOCATION
 * property from the table definition as the base path to list and then scan all available files"
 * (https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html): only the table's objects
 * live there, in subfolders or not (`replays/batch_id=<id>/outcomes.ndjson`).
 */
export function listedJsonTable(
  scope: Construct,
  id: string,
  spec: {
    databaseName: string;
    database: CfnDatabase;
    name: string;
    description: string;
    location: string;
    columns: readonly ColumnSpec[];
    removalPolicy: RemovalPolicy;
  },
): CfnTable {
  const table = new CfnTable(scope, id, {
    catalogId: Aws.ACCOUNT_ID,
    databaseName: spec.databaseName,
    tableInput: {
      name: spec.name,
      description: spec.description,
      tableType: 'EXTERNAL_TABLE',
      parameters: { classification: 'json' },
      partitionKeys: [],
      storageDescriptor: {
        location: spec.location,
        columns: spec.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
      },
    },
  });
  table.addResourceDependency(spec.database);
  table.applyRemovalPolicy(spec.removalPolicy);
  return table;
}
