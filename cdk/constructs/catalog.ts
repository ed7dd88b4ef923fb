import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ATHENA_TABLES, athenaTable } from '../../src/workflow/athena-tables';
import { SAVED_QUERIES_DIR, savedQueries } from '../../src/sql/saved-queries';
import { quarantineViewSql } from '../../src/sql/quarantine-view';
import { QUARANTINE_REPLAY_COLUMNS, REPLAY_OUTCOME_COLUMNS } from '../../src/contract/columns';
import {
  ATHENA_GLUE_CATALOG,
  PRESTO_VIEW_EXPANDED_TEXT,
  PRESTO_VIEW_PARAMETERS,
  committedViewSql,
  encodePrestoView,
} from './athena-views';
import {
  CLASSIFIED_COLUMNS,
  COMMITTED_BATCHES_COLUMNS,
  EVENTS_COLUMNS,
  PARTITION_BATCH_ID,
  QUARANTINE_COLUMNS,
  STAGED_COLUMNS,
  icebergType,
  trinoType,
  type ColumnSpec,
} from './catalog-schemas';
import { LakePrefixes } from './lake';
import { erasureTables } from './erasure-tables';
import { listedJsonTable } from './json-table';

/**
 * What analysts query, beside the pipeline's ATHENA_TABLES: the committed batches (one row per marker
 * CommitBatch writes) and the committed-only views. The views take the names analysts use in both runtimes
 * (`events`, `quarantine`: the local views of src/cli/lake-views.ts have the same names and the same filter),
 * so the default name is the safe one; the tables under them are named `*_all_batches` for what they hold.
 */
export const READER_OBJECTS = {
  committedBatches: 'committed_batches',
  events: 'events',
  quarantine: 'quarantine',
  replayOutcomes: 'replay_outcomes',
} as const;

/** The analysts' saved queries: one CfnNamedQuery per file, read at synth. */
export const NAMED_QUERIES_DIR = SAVED_QUERIES_DIR;

const GIB = 1024 ** 3;
/** Created by the quarantine writer with exactly this timestamp shape (src/contract/datetime.ts). */
const ISO_MICROS_UTC = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'";

/**
 * How Athena reads each external batch table: NDJSON with the Hive JSON SerDe
 * (https://docs.aws.amazon.com/athena/latest/ug/hive-json-serde.html), Parquet with the Parquet SerDe
 * (https://docs.aws.amazon.com/athena/latest/ug/parquet-serde.html). Athena reads Parquet columns by name
 * (https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html), which the staged
 * parts write from the same column table.
 */
const STORAGE = {
  json: {
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe', parameters: { 'timestamp.formats': ISO_MICROS_UTC } },
  },
  parquet: {
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
  },
} as const;

export interface CatalogProps {
  /** Glue database name: a plain identifier (`[a-z_][a-z0-9_]*`), e.g. `eventlake_dev`. */
  readonly databaseName: string;
  /** Athena workgroup name, e.g. `eventlake-dev`. */
  readonly workGroupName: string;
  readonly curatedBucket: IBucket;
  readonly stagingBucket: IBucket;
  readonly quarantineBucket: IBucket;
  readonly athenaResultsBucket: IBucket;
  /** Encrypts Athena query results (SSE_KMS). */
  readonly key: IKey;
  /**
   * Athena cancels any query of the workgroup that would scan more than this.
   * @default 100 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Glue catalog and the Athena workgroup. Tables (names from ATHENA_TABLES, shared with the Lambda
 * code): `events` (curated, Iceberg v2, Parquet, partitioned by event_type and event_date),
 * `classified` (Iceberg staging of one dedup run, partitioned by batch_id), and two external JSON tables
 * read by batch with injected partition projection: `staged` and `quarantine`. The workgroup enforces
 * its settings: SSE_KMS results in the results bucket, CloudWatch metrics, a per-query scan cutoff.
 */
export class Catalog extends Construct {
  readonly database: CfnDatabase;
  readonly databaseName: string;
  readonly workGroup: CfnWorkGroup;
  readonly workGroupName: string;
  readonly eventsTable: CfnTable;
  readonly classifiedTable: CfnTable;
  readonly stagedTable: CfnTable;
  readonly quarantineTable: CfnTable;
  /** The forgotten users' salted hashes and the salt (cdk/constructs/erasure-tables.ts). */
  readonly erasedUsersTable: CfnTable;
  readonly erasureSaltTable: CfnTable;
  /** External JSON table over `curated/committed/`: one row per committed batch. */
  readonly committedBatchesTable: CfnTable;
  /** External JSON table over `replays/` (quarantine bucket): one row per record a replay re-validated. */
  readonly replayOutcomesTable: CfnTable;
  /** The analysts' `events`: events_all_batches rows of committed batches only. */
  readonly eventsView: CfnTable;
  /** The analysts' `quarantine`: quarantine_all_batches records of committed batches only, with their latest replay. */
  readonly quarantineView: CfnTable;
  readonly namedQueries: CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.databaseName = props.databaseName;
    this.workGroupName = props.workGroupName;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: props.databaseName,
        description: 'eventlake: curated events, staging and quarantine tables',
      },
    });
    this.database.applyRemovalPolicy(removalPolicy);

    const s3 = (bucket: IBucket, prefix: string): string => `s3://${bucket.bucketName}/${prefix}`;

    // Curated, deduplicated, enriched events (one row per event_uuid).
    this.eventsTable = this.icebergTable('EventsTable', {
      name: ATHENA_TABLES.events,
      location: s3(props.curatedBucket, LakePrefixes.curatedEvents),
      columns: EVENTS_COLUMNS,
      partitionColumns: ['event_type', 'event_date'],
      removalPolicy,
    });
    // Staged rows of a batch with their dedup class and merge group (rewritten per batch).
    this.classifiedTable = this.icebergTable('ClassifiedTable', {
      name: ATHENA_TABLES.classified,
      location: s3(props.stagingBucket, LakePrefixes.classified),
      columns: CLASSIFIED_COLUMNS,
      partitionColumns: ['batch_id'],
      removalPolicy,
    });
    this.stagedTable = this.batchTable('StagedTable', {
      name: ATHENA_TABLES.staged,
      description: 'Validated (and enriched) rows of each batch, Parquet parts (src/pipeline/staged-row.ts), one partition per batch_id',
      location: s3(props.stagingBucket, LakePrefixes.staged),
      columns: STAGED_COLUMNS,
      format: 'parquet',
      removalPolicy,
    });
    this.quarantineTable = this.batchTable('QuarantineTable', {
      format: 'json',
      name: ATHENA_TABLES.quarantine,
      description: 'Every rejected line or object with its reason, NDJSON, one partition per batch_id',
      location: s3(props.quarantineBucket, LakePrefixes.quarantine),
      columns: QUARANTINE_COLUMNS,
      removalPolicy,
    });
    const erasures = erasureTables(this, { databaseName: props.databaseName, database: this.database, curatedBucket: props.curatedBucket, removalPolicy });
    this.erasedUsersTable = erasures.erasedUsers;
    this.erasureSaltTable = erasures.erasureSalt;

    // Readers see a batch wholly or not at all. Iceberg commits each MERGE statement on its own, so a batch of
    // several merge groups lands in events_all_batches group by group, and a batch that fails VerifyBatch
    // after a group merged stays there; CommitBatch writes curated/committed/<batch_id>.json only after
    // VerifyBatch passed (state-machines/microbatch.asl.json), and the views keep the rows of those batches.
    this.committedBatchesTable = this.committedBatches(s3(props.curatedBucket, LakePrefixes.curatedCommitted), removalPolicy);
    this.replayOutcomesTable = this.listedJsonTable('ReplayOutcomesTable', {
      name: READER_OBJECTS.replayOutcomes,
      description: 'One row per quarantine record a replay re-validated (replays/batch_id=<replay batch>/outcomes.ndjson), every replay batch',
      location: s3(props.quarantineBucket, LakePrefixes.replays),
      columns: REPLAY_OUTCOME_COLUMNS,
      removalPolicy,
    });
    this.eventsView = this.committedView('EventsView', {
      name: READER_OBJECTS.events,
      description: 'Curated events of committed batches only (what analysts query): events_all_batches filtered by committed_batches',
      base: ATHENA_TABLES.events,
      columns: EVENTS_COLUMNS,
      iceberg: true,
      dependsOn: [this.eventsTable, this.committedBatchesTable],
      removalPolicy,
    });
    // Each record with its latest outcome of a committed replay: the SQL of the local view (src/sql/quarantine-view.ts).
    const quarantineColumns = [...QUARANTINE_COLUMNS, PARTITION_BATCH_ID];
    this.quarantineView = this.committedView('QuarantineView', {
      name: READER_OBJECTS.quarantine,
      description: "Quarantine records of committed batches only, with their latest replay; name the batch (WHERE batch_id = '<id>'): injected projection",
      base: ATHENA_TABLES.quarantine,
      columns: [...quarantineColumns, ...QUARANTINE_REPLAY_COLUMNS],
      originalSql: quarantineViewSql(quarantineColumns, {
        records: athenaTable(this.databaseName, ATHENA_TABLES.quarantine),
        outcomes: athenaTable(this.databaseName, READER_OBJECTS.replayOutcomes),
        committedBatchIds: `(SELECT "batch_id" FROM ${athenaTable(this.databaseName, READER_OBJECTS.committedBatches)})`,
      }),
      iceberg: false,
      dependsOn: [this.quarantineTable, this.committedBatchesTable, this.replayOutcomesTable],
      removalPolicy,
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'eventlake pipeline and analysts: results encrypted, scans capped',
      state: 'ENABLED',
      // Lets CloudFormation delete a workgroup that has saved queries and history (dev teardown).
      recursiveDeleteOption: removalPolicy === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? 100 * GIB,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: s3(props.athenaResultsBucket, LakePrefixes.athenaResults),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });
    this.workGroup.applyRemovalPolicy(removalPolicy);

    // One AWS::Athena::NamedQuery per saved query, in the stack's workgroup: Name (1-128 characters),
    // Description (1-1024), Database, QueryString (1-262144 bytes) and WorkGroup are its properties
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-athena-namedquery.html).
    this.namedQueries = savedQueries(NAMED_QUERIES_DIR).map(({ name, description, text }) => {
      const query = new CfnNamedQuery(this, `Query-${name}`, {
        name,
        description: (description || `sql/queries/${name}.sql`).slice(0, 1024),
        database: props.databaseName,
        workGroup: this.workGroup.ref,
        queryString: text,
      });
      query.addResourceDependency(this.database);
      query.addResourceDependency(this.eventsView);
      query.addResourceDependency(this.committedBatchesTable);
      return query;
    });
  }

  /** ARN of the workgroup (for IAM). */
  workGroupArn(): string {
    const { partition, region, account } = Stack.of(this);
    return `arn:${partition}:athena:${region}:${account}:workgroup/${this.workGroupName}`;
  }

  /** ARNs of the Glue catalog, the database and the given tables (for IAM). */
  glueArns(tables: readonly CfnTable[]): string[] {
    const { partition, region, account } = Stack.of(this);
    const prefix = `arn:${partition}:glue:${region}:${account}`;
    return [
      `${prefix}:catalog`,
      `${prefix}:database/${this.databaseName}`,
      ...tables.map((table) => `${prefix}:table/${this.databaseName}/${tableName(table)}`),
    ];
  }

  /**
   * An Iceberg v2 Parquet table in the form AWS documents for creating (and later updating) Iceberg
   * tables with CloudFormation: the table `Name` at the top level and the whole table (location, schema,
   * partition spec, properties) in `OpenTableFormatInput.IcebergInput.IcebergTableInput`, with no
   * `TableInput`. A `TableInput` beside `OpenTableFormatInput` (this construct's earlier form) creates
   * the table, but the next stack update sends that `TableInput` to Glue UpdateTable, which replaces the
   * table input wholesale and drops the `table_type=ICEBERG` / `metadata_location` parameters Glue set at
   * creation: Athena then fails with HIVE_UNSUPPORTED_FORMAT.
   * - AWS Big Data Blog, "Create and update Apache Iceberg tables with partitions in the AWS Glue Data
   *   Catalog using the AWS SDK and AWS CloudFormation" (the CloudFormation template: Name +
   *   OpenTableFormatInput.IcebergInput{MetadataOperation, Version, IcebergTableInput}):
   *   https://aws.amazon.com/blogs/big-data/create-and-update-apache-iceberg-tables-with-partitions-in-the-aws-glue-data-catalog-using-the-aws-sdk-and-aws-cloudformation/
   * - AWS::Glue::Table (Name; TableInput not required): https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-table.html
   * - IcebergInput (MetadataOperation can only be CREATE; Version defaults to 2): https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-glue-table-iceberginput.html
   * - IcebergTableInput (Location, Schema, PartitionSpec, WriteOrder, Properties): https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-glue-table-icebergtableinput.html
   * - Glue CreateIcebergTableInput (what it maps to): https://docs.aws.amazon.com/glue/latest/webapi/API_CreateIcebergTableInput.html
   * - Reports of the update stripping table_type with TableInput + OpenTableFormatInput:
   *   https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1919,
   *   https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2495
   * Iceberg field ids are positions in the column list (stable as long as columns are only appended).
   */
  private icebergTable(
    id: string,
    spec: {
      name: string;
      location: string;
      columns: readonly ColumnSpec[];
      partitionColumns: readonly string[];
      removalPolicy: RemovalPolicy;
    },
  ): CfnTable {
    const fields = spec.columns.map((column, index) => ({
      id: index + 1,
      name: column.name,
      type: icebergType(column),
      required: false,
      doc: column.comment,
    }));
    const fieldId = (name: string): number => {
      const field = fields.find((f) => f.name === name);
      if (!field) throw new Error(`${spec.name}: partition column ${name} is not a column`);
      return field.id;
    };
    const table = new CfnTable(this, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      name: spec.name,
      openTableFormatInput: {
        icebergInput: {
          metadataOperation: 'CREATE',
          version: '2',
          icebergTableInput: {
            location: spec.location,
            schema: { schemaId: 0, type: 'struct', fields },
            partitionSpec: {
              specId: 0,
              fields: spec.partitionColumns.map((name, index) => ({
                name,
                sourceId: fieldId(name),
                fieldId: 1000 + index,
                transform: 'identity',
              })),
            },
            properties: {
              'write.format.default': 'parquet',
              'write.parquet.compression-codec': 'zstd',
            },
          },
        },
      },
    });
    table.addResourceDependency(this.database);
    table.applyRemovalPolicy(spec.removalPolicy);
    return table;
  }

  /**
   * External NDJSON or Parquet table, one Hive partition per batch (`.../batch_id=<id>/`), found by injected partition
   * projection: no partitions to register, and every query must say `WHERE batch_id = '<id>'`.
   */
  private batchTable(
    id: string,
    spec: {
      name: string;
      description: string;
      location: string;
      columns: readonly ColumnSpec[];
      format: keyof typeof STORAGE;
      removalPolicy: RemovalPolicy;
    },
  ): CfnTable {
    const storage = STORAGE[spec.format];
    const table = new CfnTable(this, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: spec.format,
          'projection.enabled': 'true',
          'projection.batch_id.type': 'injected',
          'storage.location.template': `${spec.location}batch_id=\${batch_id}/`,
        },
        partitionKeys: [{ name: 'batch_id', type: 'string', comment: 'run that wrote the rows' }],
        storageDescriptor: {
          location: spec.location,
          columns: spec.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
          inputFormat: storage.inputFormat,
          outputFormat: storage.outputFormat,
          serdeInfo: storage.serdeInfo,
        },
      },
    });
    table.addResourceDependency(this.database);
    table.applyRemovalPolicy(spec.removalPolicy);
    return table;
  }

  /**
   * `committed_batches`: the committed markers as an unpartitioned external NDJSON table (each marker is
   * one JSON line, src/pipeline/commit-batch.ts).
   */
  private committedBatches(location: string, removalPolicy: RemovalPolicy): CfnTable {
    return this.listedJsonTable('CommittedBatchesTable', {
      name: READER_OBJECTS.committedBatches,
      description: 'One row per committed batch (CommitBatch writes curated/committed/<batch_id>.json after VerifyBatch passed)',
      location,
      columns: COMMITTED_BATCHES_COLUMNS,
      removalPolicy,
    });
  }

  private listedJsonTable(
    id: string,
    spec: { name: string; description: string; location: string; columns: readonly ColumnSpec[]; removalPolicy: RemovalPolicy },
  ): CfnTable {
    return listedJsonTable(this, id, { ...spec, databaseName: this.databaseName, database: this.database });
  }

  /**
   * A committed-only Athena view, declared as the Glue table Athena itself writes for CREATE VIEW (the form
   * and its sources: cdk/constructs/athena-views.ts). A Glue table, not a CREATE VIEW run by a custom
   * resource: CloudFormation creates, updates and deletes it with the stack, synth checks it offline, and no
   * Lambda is needed. The view's SQL is the same filter the local views apply (src/cli/lake-views.ts).
   */
  private committedView(
    id: string,
    spec: {
      name: string;
      description: string;
      base: string;
      columns: readonly ColumnSpec[];
      /** @default the committed filter over `base` (committedViewSql) */
      originalSql?: string;
      iceberg: boolean;
      dependsOn: readonly CfnTable[];
      removalPolicy: RemovalPolicy;
    },
  ): CfnTable {
    const originalSql = spec.originalSql ?? committedViewSql(this.databaseName, spec.base, spec.columns, READER_OBJECTS.committedBatches);
    const view = new CfnTable(this, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'VIRTUAL_VIEW',
        parameters: { ...PRESTO_VIEW_PARAMETERS },
        partitionKeys: [],
        storageDescriptor: {
          columns: spec.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
          serdeInfo: {},
        },
        viewOriginalText: encodePrestoView({
          originalSql,
          catalog: ATHENA_GLUE_CATALOG,
          schema: this.databaseName,
          columns: spec.columns.map((c) => ({ name: c.name, type: trinoType(c, spec.iceberg) })),
        }),
        viewExpandedText: PRESTO_VIEW_EXPANDED_TEXT,
      },
    });
    view.addResourceDependency(this.database);
    for (const table of spec.dependsOn) view.addResourceDependency(table);
    view.applyRemovalPolicy(spec.removalPolicy);
    return view;
  }
}

/** The table's name: `Name` (Iceberg tables) or `TableInput.Name` (external tables). */
function tableName(table: CfnTable): string {
  const name = table.name ?? (table.tableInput as CfnTable.TableInputProperty | undefined)?.name;
  if (typeof name !== 'string') throw new Error(`${table.node.path}: table name must be a literal`);
  return name;
}
