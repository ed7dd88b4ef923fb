import { ATHENA_TABLES } from '../src/workflow/athena-tables';
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AWS_ENV_VARIABLES, type AwsEnv } from '../src/workflow/environment';
import { Catalog } from './constructs/catalog';
import { Ingestion } from './constructs/ingestion';
import { Lake } from './constructs/lake';
import { Monitoring } from './constructs/monitoring';
import type { AccessResources } from './constructs/access-policy';
import { Compaction } from './constructs/compaction';
import { Forget } from './constructs/forget';
import { Orchestration } from './constructs/orchestration';
import { State } from './constructs/state';
import type { StageSettings } from './stage-settings';

export interface EventLakeStackProps extends StackProps {
  readonly settings: StageSettings;
}

/** One eventlake deployment (one stage): a construct per concern, wired by object references. */
export class EventLakeStack extends Stack {
  readonly lake: Lake;
  readonly ingestion: Ingestion;
  readonly catalog: Catalog;
  readonly state: State;
  readonly orchestration: Orchestration;
  readonly compaction: Compaction;
  readonly forget: Forget;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: EventLakeStackProps) {
    super(scope, id, props);
    const s = props.settings;
    Tags.of(this).add('project', 'eventlake');
    Tags.of(this).add('stage', s.stage);

    this.lake = new Lake(this, 'Lake', {
      namePrefix: s.prefix,
      removalPolicy: s.removalPolicy,
      autoDeleteObjects: s.autoDeleteObjects,
      retention: s.retention,
    });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      namePrefix: s.prefix,
      rawBucket: this.lake.rawBucket,
      key: this.lake.key,
      streamRetentionHours: s.streamRetentionHours,
      logRetention: s.logRetention,
      removalPolicy: s.removalPolicy,
    });
    this.catalog = new Catalog(this, 'Catalog', {
      databaseName: s.glueDatabaseName,
      workGroupName: s.prefix,
      curatedBucket: this.lake.curatedBucket,
      stagingBucket: this.lake.stagingBucket,
      quarantineBucket: this.lake.quarantineBucket,
      athenaResultsBucket: this.lake.athenaResultsBucket,
      key: this.lake.key,
      bytesScannedCutoffPerQuery: s.athenaBytesScannedCutoffPerQuery,
      removalPolicy: s.removalPolicy,
    });
    this.state = new State(this, 'State', {
      namePrefix: s.prefix,
      key: this.lake.key,
      removalPolicy: s.removalPolicy,
      deletionProtection: s.deletionProtection,
    });

    const env: { readonly [K in keyof AwsEnv]: string } = {
      rawBucket: this.lake.rawBucket.bucketName,
      curatedBucket: this.lake.curatedBucket.bucketName,
      stagingBucket: this.lake.stagingBucket.bucketName,
      quarantineBucket: this.lake.quarantineBucket.bucketName,
      stateTable: this.state.userStateTable.tableName,
      controlTable: this.state.controlTable.tableName,
      athenaWorkGroup: this.catalog.workGroupName,
      glueDatabase: this.catalog.databaseName,
      pipelineName: s.pipelineName,
      lookbackHours: String(s.lookbackHours),
      sliceMaxBytes: String(s.sliceMaxBytes),
      maxBatchObjects: String(s.maxBatchObjects),
      maxBatchBytes: String(s.maxBatchBytes),
      dedupHorizonDays: String(s.dedupHorizonDays),
    };
    const environment = Object.fromEntries(
      (Object.keys(AWS_ENV_VARIABLES) as (keyof AwsEnv)[]).map((key) => [AWS_ENV_VARIABLES[key], env[key]]),
    );

    // What the task and state machine roles are granted access to (both state machines).
    const resources: AccessResources = {
      buckets: {
        raw: this.lake.rawBucket,
        curated: this.lake.curatedBucket,
        staging: this.lake.stagingBucket,
        quarantine: this.lake.quarantineBucket,
        athenaResults: this.lake.athenaResultsBucket,
      },
      key: this.lake.key,
      userStateTable: this.state.userStateTable,
      controlTable: this.state.controlTable,
      catalog: this.catalog,
      glueTables: {
        [ATHENA_TABLES.events]: this.catalog.eventsTable,
        [ATHENA_TABLES.classified]: this.catalog.classifiedTable,
        [ATHENA_TABLES.staged]: this.catalog.stagedTable,
        [ATHENA_TABLES.quarantine]: this.catalog.quarantineTable,
        [ATHENA_TABLES.erasedUsers]: this.catalog.erasedUsersTable,
        [ATHENA_TABLES.erasureSalt]: this.catalog.erasureSaltTable,
      },
    };
    this.orchestration = new Orchestration(this, 'Orchestration', {
      namePrefix: s.prefix,
      environment,
      ...resources,
      scheduleRateMinutes: s.scheduleRateMinutes,
      logRetention: s.logRetention,
      removalPolicy: s.removalPolicy,
    });
    this.compaction = new Compaction(this, 'Compaction', {
      namePrefix: s.prefix,
      functions: this.orchestration.functions,
      ...resources,
      scheduleExpression: s.compactionSchedule,
      days: s.compactionDays,
      pruneAfterDays: s.pruneStagingAfterDays,
      logRetention: s.logRetention,
      removalPolicy: s.removalPolicy,
    });
    this.forget = new Forget(this, 'Forget', {
      namePrefix: s.prefix,
      functions: this.orchestration.functions,
      ...resources,
      logRetention: s.logRetention,
      removalPolicy: s.removalPolicy,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      namePrefix: s.prefix,
      stateMachine: this.orchestration.stateMachine,
      stream: this.ingestion.stream,
      deliveryStreamName: this.ingestion.deliveryStreamName,
      functions: Object.values(this.orchestration.functions).map((f) => f.function),
      workGroupName: this.catalog.workGroupName,
      pipelineName: s.pipelineName,
      staleAfterHours: s.staleAfterHours,
      removalPolicy: s.removalPolicy,
    });

    new CfnOutput(this, 'StreamName', {
      value: this.ingestion.stream.streamName,
      description: 'produce --stream',
    });
    new CfnOutput(this, 'StateMachineArn', {
      value: this.orchestration.stateMachine.stateMachineArn,
      description: 'backfill --state-machine-arn',
    });
    new CfnOutput(this, 'CompactionStateMachineArn', {
      value: this.compaction.stateMachine.stateMachineArn,
      description: 'aws stepfunctions start-execution --input {} (or {"from","to"})',
    });
    new CfnOutput(this, 'ForgetStateMachineArn', {
      value: this.forget.stateMachine.stateMachineArn,
      description: 'forget --state-machine-arn (with --user UUID)',
    });
    new CfnOutput(this, 'AthenaWorkGroup', {
      value: this.catalog.workGroupName,
      description: 'query --workgroup',
    });
    new CfnOutput(this, 'GlueDatabase', { value: this.catalog.databaseName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'subscribe to receive alarms',
    });
    new CfnOutput(this, 'RawBucket', { value: this.lake.rawBucket.bucketName });
    new CfnOutput(this, 'QuarantineBucket', { value: this.lake.quarantineBucket.bucketName });
  }
}
