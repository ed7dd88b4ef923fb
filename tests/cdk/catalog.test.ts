import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  CLASSIFIED_COLUMNS,
  EVENTS_COLUMNS,
  QUARANTINE_COLUMNS,
  STAGED_COLUMNS,
} from '../../cdk/constructs/catalog-schemas';
import { ATHENA_TABLES } from '../../src/workflow/athena-tables';
import { decodePrestoView } from '../../cdk/constructs/athena-views';
import { READER_OBJECTS } from '../../cdk/constructs/catalog';
import { COMMITTED_BATCHES_COLUMNS } from '../../cdk/constructs/catalog-schemas';
import { REPLAY_OUTCOME_COLUMNS } from '../../src/contract/columns';
import { toUtcTimestamp } from '../../src/contract/datetime';
import { toQuarantineRecord } from '../../src/contract/quarantine-record';
import { committedMarker } from '../../src/pipeline/commit-batch';
import type { ReplayOutcome } from '../../src/pipeline/replay-outcomes';
import { emptySummary } from '../../src/pipeline/run-summary';
import { quarantineViewSql } from '../../src/sql/quarantine-view';
import { STAGED_PARQUET_COLUMNS, type StagedRow } from '../../src/pipeline/staged-row';
import { logicalId, REPO_ROOT, synthStage, type SynthesizedStage } from './app-fixture';

let dev: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
});

type TableJson = {
  Properties: {
    Name?: string;
    TableInput?: { Name: string } & Record<string, unknown>;
    OpenTableFormatInput?: Record<string, unknown>;
  };
};

/** A Glue table's name: `Name` (Iceberg tables) or `TableInput.Name` (external tables). */
function nameOf(t: TableJson): string | undefined {
  return t.Properties.Name ?? t.Properties.TableInput?.Name;
}

function tables(): TableJson[] {
  return Object.values(dev.template.findResources('AWS::Glue::Table') as Record<string, TableJson>);
}

function table(name: string): TableJson['Properties'] {
  const found = tables().find((t) => nameOf(t) === name);
  if (found === undefined) throw new Error(`no Glue table ${name}`);
  return found.Properties;
}

/**
 * The Iceberg table form AWS documents for CloudFormation (cdk/constructs/catalog.ts icebergTable):
 * `Name` + OpenTableFormatInput.IcebergInput.IcebergTableInput and no TableInput, which a later stack
 * update would send to Glue UpdateTable, dropping table_type=ICEBERG. Returns why `t` is not in it.
 */
function icebergFormProblems(t: TableJson['Properties']): string[] {
  const iceberg = (t.OpenTableFormatInput as { IcebergInput?: Record<string, unknown> } | undefined)
    ?.IcebergInput;
  const input = iceberg?.IcebergTableInput as Record<string, unknown> | undefined;
  return [
    ...(t.TableInput !== undefined ? ['has a TableInput'] : []),
    ...(typeof t.Name !== 'string' ? ['has no top-level Name'] : []),
    ...(iceberg?.MetadataOperation !== 'CREATE' ? ['IcebergInput.MetadataOperation is not CREATE'] : []),
    ...(input?.Location === undefined ? ['IcebergTableInput has no Location'] : []),
    ...(input?.Schema === undefined ? ['IcebergTableInput has no Schema'] : []),
  ];
}

function icebergInput(name: string): {
  Schema: { Fields: { Name: string; Id: number; Type: string }[] };
  PartitionSpec: { Fields: { Name: string; SourceId: number; Transform: string }[] };
  Properties: Record<string, string>;
} {
  const input = table(name).OpenTableFormatInput as {
    IcebergInput: { MetadataOperation: string; IcebergTableInput: never };
  };
  expect(input.IcebergInput.MetadataOperation).toBe('CREATE');
  return input.IcebergInput.IcebergTableInput;
}

function sql(file: string): string {
  return readFileSync(join(REPO_ROOT, 'sql', 'athena', file), 'utf8');
}

describe('Catalog', () => {
  test('one Glue database with the stage name', () => {
    dev.template.resourceCountIs('AWS::Glue::Database', 1);
    dev.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'eventlake_dev' } });
  });

  test("the Glue tables are exactly ATHENA_TABLES and the readers' committed_batches, replay_outcomes, events and quarantine", () => {
    const names = tables().map(nameOf);
    expect(names.sort()).toEqual([...Object.values(ATHENA_TABLES), ...Object.values(READER_OBJECTS)].sort());
    expect(Object.values(ATHENA_TABLES)).not.toContain('events');
  });

  test('committed_batches reads the markers CommitBatch writes: NDJSON under curated/committed/ of the curated bucket', () => {
    const input = table(READER_OBJECTS.committedBatches).TableInput as Record<string, unknown>;
    expect(input).toMatchObject({
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [],
      StorageDescriptor: {
        Location: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(dev, dev.stack.lake.curatedBucket) }, '/curated/committed/']] },
        Columns: [
          { Name: 'batch_id', Type: 'string' },
          { Name: 'mode', Type: 'string' },
          { Name: 'committed_at', Type: 'string' },
          { Name: 'lines_read', Type: 'bigint' },
          { Name: 'inserted', Type: 'bigint' },
          { Name: 'duplicates_in_batch', Type: 'bigint' },
          { Name: 'duplicates_existing', Type: 'bigint' },
          { Name: 'quarantined', Type: 'bigint' },
          { Name: 'quarantined_by_reason', Type: 'map<string,bigint>' },
          { Name: 'already_quarantined', Type: 'bigint' },
          { Name: 'blank_lines', Type: 'bigint' },
        ].map((c): unknown => expect.objectContaining(c)),
        SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
      },
    });
    // The columns are the marker's fields, in order (src/pipeline/commit-batch.ts writes them).
    const fields = Object.keys(committedMarker({ batchId: 'b', mode: 'scheduled', summary: emptySummary('committed', 'scheduled') }, '2024-04-08T12:00:00.000Z'));
    expect(fields).toEqual(COMMITTED_BATCHES_COLUMNS.map((c) => c.name));
  });

  test.each([
    [ATHENA_TABLES.erasedUsers, '/erasures/log/', 'user_hash'],
    [ATHENA_TABLES.erasureSalt, '/erasures/', 'salt'],
  ])('%s reads what forget writes: NDJSON under %s of the curated bucket, column %s (read through these tables by tests/verify/erased-classify.test.ts)', (name, prefix, column) => {
    expect(table(name).TableInput).toMatchObject({
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [],
      StorageDescriptor: {
        Location: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(dev, dev.stack.lake.curatedBucket) }, prefix]] },
        Columns: [expect.objectContaining({ Name: column, Type: 'string' })],
        SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
      },
    });
  });

  /** The Glue view `name`, its Presto definition decoded. */
  function viewOf(name: string) {
    const input = table(name).TableInput as unknown as {
      TableType: string;
      Parameters: Record<string, string>;
      ViewOriginalText: string;
      ViewExpandedText: string;
      StorageDescriptor: { Columns: { Name: string }[] };
    };
    expect(input.TableType).toBe('VIRTUAL_VIEW');
    expect(input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
    expect(input.ViewExpandedText).toBe('/* Presto View */');
    const view = decodePrestoView(input.ViewOriginalText);
    expect(view).toMatchObject({ catalog: 'awsdatacatalog', schema: 'eventlake_dev' });
    return { view, declared: input.StorageDescriptor.Columns.map((c) => c.Name) };
  }

  test('events is an Athena view of events_all_batches filtered to committed batches, every column named', () => {
    const { view, declared } = viewOf(READER_OBJECTS.events);
    const columns = EVENTS_COLUMNS.map((c) => c.name);
    const list = columns.map((c) => `"${c}"`).join(', ');
    expect(view.originalSql).toBe(
      `SELECT ${list} FROM "eventlake_dev"."${ATHENA_TABLES.events}" WHERE "batch_id" IN (SELECT "batch_id" FROM "eventlake_dev"."committed_batches")`,
    );
    expect(view.columns.map((c) => c.name)).toEqual(columns);
    expect(declared).toEqual(columns);
  });

  test('quarantine is the Athena view of committed records, each with its latest committed replay: the same SQL as the local view', () => {
    const { view, declared } = viewOf(READER_OBJECTS.quarantine);
    const columns = [...QUARANTINE_COLUMNS.map((c) => c.name), 'batch_id', 'replayed_at', 'replay_batch_id', 'replay_outcome'];
    expect(view.columns.map((c) => c.name)).toEqual(columns);
    expect(declared).toEqual(columns);
    expect(view.columns.slice(-3)).toEqual([
      { name: 'replayed_at', type: 'varchar' },
      { name: 'replay_batch_id', type: 'varchar' },
      { name: 'replay_outcome', type: 'varchar' },
    ]);
    const committed = '(SELECT "batch_id" FROM "eventlake_dev"."committed_batches")';
    expect(view.originalSql).toBe(
      quarantineViewSql([...QUARANTINE_COLUMNS, { name: 'batch_id', type: 'string', comment: '' }], {
        records: `"eventlake_dev"."${ATHENA_TABLES.quarantine}"`,
        outcomes: `"eventlake_dev"."${READER_OBJECTS.replayOutcomes}"`,
        committedBatchIds: committed,
      }),
    );
    expect(view.originalSql).toContain(`FROM "eventlake_dev"."${READER_OBJECTS.replayOutcomes}" AS outcomes WHERE "replay_batch_id" IN ${committed}`);
  });

  test('replay_outcomes reads the outcomes replays write: NDJSON under replays/ of the quarantine bucket, no partition to name', () => {
    const input = table(READER_OBJECTS.replayOutcomes).TableInput as Record<string, unknown>;
    expect(input).toMatchObject({
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [],
      Parameters: { classification: 'json' },
      StorageDescriptor: {
        Location: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(dev, dev.stack.lake.quarantineBucket) }, '/replays/']] },
        Columns: REPLAY_OUTCOME_COLUMNS.map((c): unknown => expect.objectContaining({ Name: c.name, Type: c.type })),
        SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
      },
    });
    // No projection: the quarantine view joins every outcome without naming a replay batch.
    expect(Object.keys(input.Parameters as Record<string, string>).filter((k) => k.startsWith('projection.'))).toEqual([]);
    // The columns are the fields of an outcome line (src/pipeline/replay-outcomes.ts writes them).
    const line: ReplayOutcome = { source_key: 'k', line_no: 1, quarantine_batch_id: 'q', replay_batch_id: 'r', replayed_at: 't', replay_outcome: 'merged' };
    expect([...REPLAY_OUTCOME_COLUMNS.map((c) => c.name)].sort()).toEqual(Object.keys(line).sort());
  });

  test('the events view declares Trino types, created_datetime with Iceberg microseconds', () => {
    const view = decodePrestoView((table(READER_OBJECTS.events).TableInput as unknown as { ViewOriginalText: string }).ViewOriginalText);
    const types = Object.fromEntries(view.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({ event_uuid: 'varchar', created_at: 'double', event_date: 'date', created_datetime: 'timestamp(6)', batch_id: 'varchar' });
  });

  test('the views are created after the tables they read', () => {
    const resources = dev.template.findResources('AWS::Glue::Table') as Record<string, { DependsOn?: string[]; Properties: TableJson['Properties'] }>;
    const idOf = (name: string) => Object.entries(resources).find(([, r]) => nameOf(r) === name)?.[0];
    for (const [view, base] of [
      [READER_OBJECTS.events, ATHENA_TABLES.events],
      [READER_OBJECTS.quarantine, ATHENA_TABLES.quarantine],
      [READER_OBJECTS.quarantine, READER_OBJECTS.replayOutcomes],
    ] as const) {
      expect(resources[idOf(view) as string]?.DependsOn).toEqual(expect.arrayContaining([idOf(base), idOf(READER_OBJECTS.committedBatches)]));
    }
  });

  test.each([ATHENA_TABLES.events, ATHENA_TABLES.classified])(
    '%s is declared in the Iceberg form that survives stack updates (Name + IcebergTableInput, no TableInput)',
    (name) => {
      expect(icebergFormProblems(table(name))).toEqual([]);
    },
  );

  test('the Iceberg form check rejects the old TableInput + OpenTableFormatInput form', () => {
    const current = table(ATHENA_TABLES.events);
    const { Name, ...rest } = current;
    const oldForm = {
      ...rest,
      TableInput: {
        Name: Name ?? ATHENA_TABLES.events,
        TableType: 'EXTERNAL_TABLE',
        StorageDescriptor: { Location: 's3://bucket/curated/events/' },
      },
    };
    expect(icebergFormProblems(oldForm)).toEqual(['has a TableInput', 'has no top-level Name']);
  });

  test('only the external NDJSON tables and the views have a TableInput', () => {
    const withTableInput = tables()
      .filter((t) => t.Properties.TableInput !== undefined)
      .map(nameOf);
    expect(withTableInput.sort()).toEqual(
      [ATHENA_TABLES.quarantine, ATHENA_TABLES.staged, ATHENA_TABLES.erasedUsers, ATHENA_TABLES.erasureSalt, ...Object.values(READER_OBJECTS)].sort(),
    );
  });

  test('events is an Iceberg v2 Parquet table partitioned by event_type and event_date', () => {
    const input = icebergInput(ATHENA_TABLES.events);
    const ids = new Map(input.Schema.Fields.map((f) => [f.Name, f.Id]));
    expect(input.PartitionSpec.Fields).toEqual([
      expect.objectContaining({ Name: 'event_type', SourceId: ids.get('event_type'), Transform: 'identity' }),
      expect.objectContaining({ Name: 'event_date', SourceId: ids.get('event_date'), Transform: 'identity' }),
    ]);
    expect(input.Properties['write.format.default']).toBe('parquet');
    expect(table(ATHENA_TABLES.events).OpenTableFormatInput).toMatchObject({
      IcebergInput: { Version: '2' },
    });
  });

  test('events has the curated row of docs/contract.md §6, with event_date a date and created_datetime a timestamp', () => {
    const fields = icebergInput(ATHENA_TABLES.events).Schema.Fields;
    expect(fields.map((f) => f.Name)).toEqual([
      'event_uuid',
      'event_name',
      'event_type',
      'event_subtype',
      'created_at',
      'created_datetime',
      'event_date',
      'user_uuid',
      'language',
      'country',
      'subscription_type',
      'subscription_status',
      'enrichment_status',
      'payload',
      'source_key',
      'ingested_at',
      'batch_id',
    ]);
    expect(fields.find((f) => f.Name === 'event_date')?.Type).toBe('date');
    expect(fields.find((f) => f.Name === 'created_datetime')?.Type).toBe('timestamp');
  });

  test('merge_group.sql inserts exactly the events columns', () => {
    const insert = /INSERT \(([^)]*)\)/.exec(sql('merge_group.sql'))?.[1] ?? '';
    const columns = insert.split(',').map((c) => c.trim());
    expect([...columns].sort()).toEqual(EVENTS_COLUMNS.map((c) => c.name).sort());
  });

  test('classified is an Iceberg table partitioned by batch_id', () => {
    const input = icebergInput(ATHENA_TABLES.classified);
    expect(input.PartitionSpec.Fields).toEqual([
      expect.objectContaining({ Name: 'batch_id', Transform: 'identity' }),
    ]);
  });

  test('classified columns are in the order classify_batch.sql inserts them (INSERT without a column list)', () => {
    const text = sql('classify_batch.sql');
    const classifiedSelect = /classified AS \(\s*SELECT([\s\S]*?)CASE/.exec(text)?.[1] ?? '';
    const fromCte = [...classifiedSelect.matchAll(/r\.(\w+)/g)].map((m) => m[1]);
    expect(text).toMatch(
      /SELECT c\.\*, p\.merge_group, CAST\(\? AS VARCHAR\) AS batch_id, .* AS ingested_at/,
    );
    expect(CLASSIFIED_COLUMNS.map((c) => c.name)).toEqual([
      ...fromCte,
      'class',
      'merge_group',
      'batch_id',
      'ingested_at',
    ]);
  });

  test('staged columns are the fields of StagedRow, in order', () => {
    const row: StagedRow = {
      event_uuid: 'u',
      event_name: 'a:b',
      event_type: 'a',
      event_subtype: 'b',
      created_at: 1,
      created_datetime: 'x',
      event_date: 'd',
      user_uuid: null,
      language: null,
      country: null,
      subscription_type: null,
      subscription_status: null,
      enrichment_status: 'not_applicable',
      payload: '{}',
      source_key: 'k',
      line_no: 1,
    };
    expect(STAGED_COLUMNS.map((c) => c.name)).toEqual(Object.keys(row));
  });

  test('quarantine columns are the fields of QuarantineRecord except the batch_id partition', () => {
    const record = toQuarantineRecord({
      batchId: 'b',
      sourceKey: 'k',
      lineNo: 1,
      reason: 'not_json',
      errors: [],
      raw: Buffer.from('x'),
      quarantinedAt: 't',
    });
    expect(QUARANTINE_COLUMNS.map((c) => c.name)).toEqual(
      Object.keys(record).filter((k) => k !== 'batch_id'),
    );
  });

  test.each([
    [ATHENA_TABLES.staged, '/staging/staged/', 'parquet', 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'],
    [ATHENA_TABLES.quarantine, '/quarantine/', 'json', 'org.apache.hive.hcatalog.data.JsonSerDe'],
  ])('%s is an external table with injected partition projection on batch_id', (name, prefix, classification, serde) => {
    const input = table(name).TableInput as Record<string, unknown>;
    expect(input).toMatchObject({
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: 'batch_id', Type: 'string' }],
      Parameters: {
        classification,
        'projection.enabled': 'true',
        'projection.batch_id.type': 'injected',
        'storage.location.template': {
          'Fn::Join': ['', ['s3://', expect.anything(), `${prefix}batch_id=\${batch_id}/`]],
        },
      },
      StorageDescriptor: { SerdeInfo: { SerializationLibrary: serde } },
    });
  });

  test('the staged table reads the Parquet parts the pipeline writes: the same columns and types', () => {
    const input = table(ATHENA_TABLES.staged).TableInput as unknown as {
      StorageDescriptor: { Columns: { Name: string; Type: string }[]; InputFormat: string };
    };
    expect(input.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    const glueOf: Record<string, string> = { utf8: 'string', double: 'double', int64: 'bigint', int32: 'int', date: 'date' };
    expect(input.StorageDescriptor.Columns.map((c) => [c.Name, c.Type])).toEqual(STAGED_PARQUET_COLUMNS.map((c) => [c.name, glueOf[c.type]]));
    // created_datetime stays text in staging; sql/athena/classify_batch.sql parses exactly this shape.
    for (const createdAt of [1712511721.022075, 1712511721, 946684800.5]) {
      expect(toUtcTimestamp(createdAt).created_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    }
  });

  test('the workgroup enforces its configuration', () => {
    dev.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'eventlake-dev',
      WorkGroupConfiguration: Match.objectLike({ EnforceWorkGroupConfiguration: true }),
    });
  });

  test('the workgroup writes results to the results bucket encrypted with SSE_KMS and the lake key', () => {
    dev.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        ResultConfiguration: Match.objectLike({
          OutputLocation: {
            'Fn::Join': [
              '',
              ['s3://', { Ref: logicalId(dev, dev.stack.lake.athenaResultsBucket) }, '/athena/'],
            ],
          },
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [logicalId(dev, dev.stack.lake.key), 'Arn'] },
          },
        }),
      }),
    });
  });

  test('the workgroup publishes CloudWatch metrics', () => {
    dev.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ PublishCloudWatchMetricsEnabled: true }),
    });
  });

  test('the workgroup cancels queries scanning more than 100 GiB', () => {
    dev.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 100 * 1024 ** 3 }),
    });
  });

  test('the workgroup runs Athena engine version 3', () => {
    dev.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      }),
    });
  });

  test('each sql/queries/*.sql file is one named query in the workgroup: its name, first comment line and text', () => {
    const files = readdirSync(join(REPO_ROOT, 'sql', 'queries')).filter((f) => f.endsWith('.sql'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    dev.template.resourceCountIs('AWS::Athena::NamedQuery', files.length);
    for (const file of files) {
      const text = readFileSync(join(REPO_ROOT, 'sql', 'queries', file), 'utf8');
      dev.template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: file.replace(/\.sql$/, ''),
        Description: text.split('\n')[0]?.replace(/^--\s*/, ''),
        Database: 'eventlake_dev',
        WorkGroup: { Ref: dev.stack.getLogicalId(dev.stack.catalog.workGroup) },
        QueryString: text,
      });
    }
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged in the catalog', () => {
    expect(new AwsSolutionsChecks().validateScope(dev.stack.catalog).violations).toEqual([]);
  });
});
