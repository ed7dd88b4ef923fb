import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PIPELINE_METRICS } from '../../src/workflow/run-metrics';

/** The custom metrics the commit Lambda publishes per committed run (src/workflow/run-metrics.ts). */
export { PIPELINE_METRICS };

export interface MonitoringProps {
  /** Prefix of the topic, alarm and dashboard names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  readonly stateMachine: IStateMachine;
  readonly stream: IStream;
  readonly deliveryStreamName: string;
  readonly functions: readonly IFunction[];
  readonly workGroupName: string;
  /** Value of the `Pipeline` dimension of the pipeline's custom metrics. */
  readonly pipelineName: string;
  /**
   * Alarm when no execution succeeded, and separately when no record arrived, for this many hours (1-24).
   * @default 6
   */
  readonly staleAfterHours?: number;
  /**
   * Alarm when Firehose's oldest undelivered record is older than this.
   * @default 900 (the 300 s buffer plus 10 minutes)
   */
  readonly dataFreshnessThresholdSeconds?: number;
  /**
   * Alarm when more than this percentage of the lines read in an hour was quarantined.
   * @default 5
   */
  readonly quarantineRatePercent?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Alarms on what must hold (docs/reliability.md#faults): failed or timed-out executions, no successful
 * execution for N hours, no incoming records for N hours, Firehose delivery failures and data
 * freshness, and the quarantine rate; all notify one KMS-encrypted SNS topic. A dashboard shows the
 * same signals side by side.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly topicKey: Key;
  readonly alarms: Readonly<Record<string, Alarm>>;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const staleHours = props.staleAfterHours ?? 6;
    if (!Number.isInteger(staleHours) || staleHours < 1 || staleHours > 24) {
      throw new Error(
        `staleAfterHours must be a whole number of hours in 1..24 (one alarm period), got ${staleHours}`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.topicKey = new Key(this, 'TopicKey', {
      alias: `alias/${props.namePrefix}-alarms`,
      description: `${props.namePrefix}: alarm notifications`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic with this key.
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      topicName: `${props.namePrefix}-alarms`,
      displayName: `${props.namePrefix} pipeline alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });

    const fiveMinutes = Duration.minutes(5);
    const firehose = (metricName: string, statistic: string): Metric =>
      new Metric({
        namespace: 'AWS/Firehose',
        metricName,
        dimensionsMap: { DeliveryStreamName: props.deliveryStreamName },
        statistic,
        period: fiveMinutes,
      });
    const pipelineMetric = (metricName: string): Metric =>
      new Metric({
        namespace: PIPELINE_METRICS.namespace,
        metricName,
        dimensionsMap: { [PIPELINE_METRICS.dimension]: props.pipelineName },
        statistic: 'Sum',
        period: Duration.hours(1),
      });
    const quarantineRate = new MathExpression({
      expression: 'IF(lines > 0, 100 * quarantined / lines, 0)',
      usingMetrics: {
        lines: pipelineMetric(PIPELINE_METRICS.linesRead),
        quarantined: pipelineMetric(PIPELINE_METRICS.quarantinedLines),
      },
      label: 'quarantined lines (% of lines read)',
      period: Duration.hours(1),
    });

    const alarm = (
      id: string,
      spec: {
        metric: IMetric;
        threshold: number;
        comparison: ComparisonOperator;
        evaluationPeriods?: number;
        datapointsToAlarm?: number;
        missing: TreatMissingData;
        description: string;
      },
    ): Alarm =>
      new Alarm(this, id, {
        alarmName: `${props.namePrefix}-${kebab(id)}`,
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: spec.evaluationPeriods ?? 1,
        datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
        treatMissingData: spec.missing,
      });

    const alarms: Record<string, Alarm> = {
      ExecutionsFailed: alarm('ExecutionsFailed', {
        metric: props.stateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        missing: TreatMissingData.NOT_BREACHING,
        description:
          'A micro-batch execution failed: nothing was committed, the checkpoint did not move. See the execution history.',
      }),
      ExecutionsTimedOut: alarm('ExecutionsTimedOut', {
        metric: props.stateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        missing: TreatMissingData.NOT_BREACHING,
        description:
          'A micro-batch execution timed out: the lease expires after its TTL and the next run resumes the batch.',
      }),
      NoSuccessfulExecution: alarm('NoSuccessfulExecution', {
        metric: props.stateMachine.metricSucceeded({ period: Duration.hours(staleHours), statistic: 'Sum' }),
        threshold: 1,
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        missing: TreatMissingData.BREACHING,
        description: `No micro-batch execution succeeded for ${staleHours} h: the schedule is off, or every run fails or is skipped.`,
      }),
      NoIncomingRecords: alarm('NoIncomingRecords', {
        metric: props.stream.metricIncomingRecords({ period: Duration.hours(staleHours), statistic: 'Sum' }),
        threshold: 1,
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        missing: TreatMissingData.BREACHING,
        description: `No event reached the Kinesis stream for ${staleHours} h: producers are down or writing elsewhere.`,
      }),
      DeliveryDataFreshness: alarm('DeliveryDataFreshness', {
        metric: firehose('DeliveryToS3.DataFreshness', 'Maximum'),
        threshold: props.dataFreshnessThresholdSeconds ?? 900,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        missing: TreatMissingData.NOT_BREACHING,
        description:
          'Firehose holds records older than the threshold: delivery to the raw bucket is stuck or failing (see its S3Delivery log).',
      }),
      DeliveryFailures: alarm('DeliveryFailures', {
        metric: firehose('DeliveryToS3.Success', 'Average'),
        threshold: 1,
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        missing: TreatMissingData.NOT_BREACHING,
        description:
          'Firehose deliveries to the raw bucket are failing (records go to raw-errors/ after retries).',
      }),
      QuarantineRate: alarm('QuarantineRate', {
        metric: quarantineRate,
        threshold: props.quarantineRatePercent ?? 5,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        missing: TreatMissingData.NOT_BREACHING,
        description:
          'An unusual share of lines was quarantined in the last hour: query the quarantine table by batch_id for reasons.',
      }),
    };
    const action = new SnsAction(this.topic);
    for (const a of Object.values(alarms)) {
      a.addAlarmAction(action);
      a.addOkAction(action);
    }
    this.alarms = alarms;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${props.namePrefix}-pipeline`,
      defaultInterval: Duration.days(1),
    });
    const sm = props.stateMachine;
    const lambdaMetric = (fn: IFunction, metricName: string, statistic: string): Metric =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: fn.functionName },
        statistic,
        period: fiveMinutes,
        label: fn.functionName,
      });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${props.namePrefix}\nKinesis -> Firehose -> raw -> scheduled micro-batch -> Athena MERGE -> curated \`events\`. Alarms notify the SNS topic \`${props.namePrefix}-alarms\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(alarms), width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Executions',
        left: [
          sm.metricStarted({ statistic: 'Sum', period: fiveMinutes }),
          sm.metricSucceeded({ statistic: 'Sum', period: fiveMinutes }),
          sm.metricFailed({ statistic: 'Sum', period: fiveMinutes }),
          sm.metricTimedOut({ statistic: 'Sum', period: fiveMinutes }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Execution time (p50, max)',
        left: [sm.metricTime({ statistic: 'p50' }), sm.metricTime({ statistic: 'Maximum' })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ingestion: records in, delivered',
        left: [
          props.stream.metricIncomingRecords({ statistic: 'Sum', period: fiveMinutes }),
          firehose('DeliveryToS3.Records', 'Sum'),
        ],
        right: [
          props.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: fiveMinutes }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Firehose delivery: freshness (s), success',
        left: [firehose('DeliveryToS3.DataFreshness', 'Maximum')],
        right: [firehose('DeliveryToS3.Success', 'Average')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Task errors',
        left: props.functions.map((fn) => lambdaMetric(fn, 'Errors', 'Sum')),
        width: 12,
      }),
      new GraphWidget({
        title: 'Task duration (max, ms)',
        left: props.functions.map((fn) => lambdaMetric(fn, 'Duration', 'Maximum')),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Lines read and quarantined (per hour)',
        left: [pipelineMetric(PIPELINE_METRICS.linesRead), pipelineMetric(PIPELINE_METRICS.quarantinedLines)],
        right: [quarantineRate],
        width: 12,
      }),
      new GraphWidget({
        title: 'Athena bytes scanned (workgroup)',
        left: [
          new MathExpression({
            expression: `SEARCH('{AWS/Athena,QueryState,QueryType,WorkGroup} MetricName="ProcessedBytes" WorkGroup="${props.workGroupName}"', 'Sum', 3600)`,
            label: 'ProcessedBytes',
            period: Duration.hours(1),
          }),
        ],
        width: 12,
      }),
    );
  }
}

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
