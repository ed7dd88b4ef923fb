import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { Client } from '@smithy/core/client';
import { startDynalite, type Dynalite } from '../../tests/adapters/aws/dynalite-fixture';
import { readAwsEnv } from '../../src/runtime/aws/env';
import type { AwsEnv } from '../../src/workflow/environment';
import { AthenaFake, type AthenaTableLocation } from '../fakes/athena-fake';
import { CallRecorder } from '../fakes/recorder';
import { S3Fake } from '../fakes/s3-fake';
import { installSdkInterception, type SdkCall, type SdkInterception, type ServiceHandler } from '../fakes/sdk-intercept';
import { openIcebergTwin, type IcebergTwin, type TwinCatalog } from '../twin/iceberg-twin';
import { decodePrestoView } from '../../cdk/constructs/athena-views';
import type { TemplateResolver } from '../template';

type Send = (this: unknown, command: unknown) => Promise<unknown>;

/**
 * The AWS account the synthesized stack would create, offline: every S3 bucket of the template in a folder
 * (S3Fake), both DynamoDB tables on dynalite with the template's key schemas, the Glue tables and the
 * workgroup behind the Athena fake (DuckDB twin), and every SDK call of the process routed to them and
 * recorded with the principal the runner set.
 */
export class FakeAccount {
  readonly recorder = new CallRecorder();
  readonly athena: AthenaFake;
  private interception: SdkInterception | undefined;

  private constructor(
    /** Bucket `b`'s objects are files under `<s3Root>/<b>/`. */
    readonly s3Root: string,
    readonly env: AwsEnv,
    readonly s3: S3Fake,
    readonly dynalite: Dynalite,
    readonly twin: IcebergTwin,
    resolver: TemplateResolver,
  ) {
    this.athena = new AthenaFake({
      executor: twin.executor,
      recorder: this.recorder,
      tables: glueTables(resolver),
      resultLocation: resultLocation(resolver),
      workGroups: [env.athenaWorkGroup],
      objects: s3,
    });
  }

  /** `lambdaEnvironment`: a task function's resolved environment (bucket, table and workgroup names). */
  static async open(resolver: TemplateResolver, lambdaEnvironment: Readonly<Record<string, string>>): Promise<FakeAccount> {
    const env = readAwsEnv(lambdaEnvironment);
    const root = mkdtempSync(join(tmpdir(), 'eventlake-verify-s3-'));
    const s3 = new S3Fake({ buckets: resolver.logicalIdsOfType('AWS::S3::Bucket').map((id) => resolver.physicalName(id)), root });
    const dynalite = await startDynalite();
    for (const id of [...resolver.logicalIdsOfType('AWS::DynamoDB::GlobalTable'), ...resolver.logicalIdsOfType('AWS::DynamoDB::Table')]) {
      const p = resolver.resolve(resolver.properties(id)) as Record<string, unknown>;
      await dynalite.client.send(
        new dynamodb.CreateTableCommand({
          TableName: resolver.physicalName(id),
          AttributeDefinitions: p.AttributeDefinitions as dynamodb.AttributeDefinition[],
          KeySchema: p.KeySchema as dynamodb.KeySchemaElement[],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
    const twin = await openIcebergTwin(root, env, twinCatalog(resolver, env.glueDatabase));
    return new FakeAccount(root, env, s3, dynalite, twin, resolver);
  }

  /** Routes the process's SDK calls: S3 and Athena to the fakes, DynamoDB to dynalite (with its transaction shim). */
  install(extra: Readonly<Record<string, ServiceHandler>> = {}): void {
    const original = (Client.prototype as unknown as { send: Send }).send;
    const dynalite = this.dynalite;
    const dynamo: ServiceHandler = {
      handle(call: SdkCall) {
        const Command = (dynamodb as unknown as Record<string, new (input: unknown) => unknown>)[`${call.operation}Command`];
        if (Command === undefined) throw new Error(`no DynamoDB command ${call.operation}`);
        // The original send on the fixture's client: its endpoint (dynalite) and middleware (transactions).
        return original.call(dynalite.client, new Command(call.input));
      },
    };
    this.interception = installSdkInterception({
      recorder: this.recorder,
      handlers: { S3: this.s3, Athena: this.athena, DynamoDB: dynamo, ...extra },
      passThrough: [],
    });
  }

  uninstall(): void {
    this.interception?.uninstall();
    this.interception = undefined;
  }

  async close(): Promise<void> {
    this.uninstall();
    await this.twin.close();
    await this.dynalite.close();
    rmSync(this.s3Root, { recursive: true, force: true });
  }
}

interface GlueTableProperties {
  DatabaseName: string;
  Name?: string;
  TableInput?: {
    Name: string;
    TableType?: string;
    StorageDescriptor?: { Location?: string; Columns?: { Name: string; Type: string }[]; SerdeInfo?: { SerializationLibrary?: string } };
    PartitionKeys?: { Name: string; Type: string }[];
    Parameters?: Record<string, string>;
    ViewOriginalText?: string;
  };
  OpenTableFormatInput?: {
    IcebergInput?: {
      IcebergTableInput?: {
        Location: string;
        Schema?: { Fields: { Name: string; Type: string; Id?: number }[] };
        PartitionSpec?: { Fields?: { Name: string; SourceId?: number }[] };
      };
    };
  };
}

/** Iceberg schema types back to Glue's names (cdk/constructs/catalog-schemas.ts icebergType). */
const GLUE_TYPE_OF_ICEBERG: Readonly<Record<string, string>> = { long: 'bigint', 'list<string>': 'array<string>' };

/** The template's Glue tables and views of `database`, as the twin evaluates analysts' queries over them. */
function twinCatalog(resolver: TemplateResolver, database: string): TwinCatalog {
  const catalog: { tables: TwinCatalog['tables'][number][]; views: TwinCatalog['views'][number][] } = { tables: [], views: [] };
  for (const id of resolver.logicalIdsOfType('AWS::Glue::Table')) {
    const p = resolver.resolve(resolver.properties(id)) as GlueTableProperties;
    if (p.DatabaseName !== database) continue;
    const input = p.TableInput;
    const iceberg = p.OpenTableFormatInput?.IcebergInput?.IcebergTableInput;
    if (input?.TableType === 'VIRTUAL_VIEW') {
      const view = decodePrestoView(input.ViewOriginalText ?? '');
      catalog.views.push({ name: input.Name, originalSql: view.originalSql, columns: view.columns });
    } else if (iceberg !== undefined) {
      const columns = (iceberg.Schema?.Fields ?? []).map((f) => ({ name: f.Name, type: GLUE_TYPE_OF_ICEBERG[f.Type] ?? f.Type }));
      catalog.tables.push({ name: p.Name ?? '', location: iceberg.Location, iceberg: true, format: 'parquet', columns, partitionKeys: [], injected: [], projected: false });
    } else if (input !== undefined) {
      const partitionKeys = (input.PartitionKeys ?? []).map((k) => k.Name);
      const columns = [...(input.StorageDescriptor?.Columns ?? []), ...(input.PartitionKeys ?? [])].map((c) => ({ name: c.Name, type: c.Type }));
      const injected = partitionKeys.filter((k) => input.Parameters?.[`projection.${k}.type`] === 'injected');
      const serde = input.StorageDescriptor?.SerdeInfo?.SerializationLibrary ?? '';
      const format = serde.endsWith('.ParquetHiveSerDe') ? 'parquet' : serde.endsWith('.JsonSerDe') ? 'json' : undefined;
      if (format === undefined) throw new Error(`Glue table ${input.Name}: the twin reads the JSON and Parquet SerDes only, not ${JSON.stringify(serde)}`);
      const projected = input.Parameters?.['projection.enabled'] === 'true';
      catalog.tables.push({ name: input.Name, location: input.StorageDescriptor?.Location ?? '', iceberg: false, format, columns, partitionKeys, injected, projected });
    }
  }
  return catalog;
}

/** `database.table` -> location and format, from the template's AWS::Glue::Table resources (views have none). */
function glueTables(resolver: TemplateResolver): Record<string, AthenaTableLocation> {
  const tables: Record<string, AthenaTableLocation> = {};
  for (const id of resolver.logicalIdsOfType('AWS::Glue::Table')) {
    const p = resolver.resolve(resolver.properties(id)) as GlueTableProperties;
    if (p.TableInput?.TableType === 'VIRTUAL_VIEW') continue;
    const iceberg = p.OpenTableFormatInput?.IcebergInput?.IcebergTableInput;
    const name = p.Name ?? p.TableInput?.Name;
    const template = p.TableInput?.Parameters?.['storage.location.template'];
    const location = iceberg?.Location ?? p.TableInput?.StorageDescriptor?.Location ?? template?.replace(/[^/]*\$\{[^}]+\}.*$/, '');
    if (name === undefined || location === undefined) throw new Error(`Glue table ${id}: no name or location`);
    // An Iceberg partition field names its source column by id (the schema field's Id).
    const partitionColumns = (iceberg?.PartitionSpec?.Fields ?? []).map(
      (f) => iceberg?.Schema?.Fields.find((c) => c.Id !== undefined && c.Id === f.SourceId)?.Name ?? f.Name,
    );
    tables[`${p.DatabaseName}.${name}`] = {
      location,
      iceberg: iceberg !== undefined,
      partitionProjection: p.TableInput?.Parameters?.['projection.enabled'] === 'true',
      ...(iceberg !== undefined ? { partitionColumns } : {}),
    };
  }
  return tables;
}

function resultLocation(resolver: TemplateResolver): string {
  for (const id of resolver.logicalIdsOfType('AWS::Athena::WorkGroup')) {
    const p = resolver.resolve(resolver.properties(id)) as { WorkGroupConfiguration?: { ResultConfiguration?: { OutputLocation?: string } } };
    const location = p.WorkGroupConfiguration?.ResultConfiguration?.OutputLocation;
    if (location !== undefined) return location;
  }
  throw new Error('the template has no Athena workgroup with a result location');
}
