import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PIPELINE_METRICS } from '../../cdk/constructs/monitoring';
import { logicalId, synthStage, type SynthesizedStage } from './app-fixture';

let dev: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
});

type AlarmJson = { Properties: Record<string, unknown> };

function alarm(name: string): Record<string, unknown> {
  const found = Object.values(
    dev.template.findResources('AWS::CloudWatch::Alarm') as Record<string, AlarmJson>,
  ).find((a) => a.Properties.AlarmName === `eventlake-dev-${name}`);
  if (found === undefined) throw new Error(`no alarm eventlake-dev-${name}`);
  return found.Properties;
}

describe('Monitoring', () => {
  test('failed executions raise an alarm', () => {
    expect(alarm('executions-failed')).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      Dimensions: [
        { Name: 'StateMachineArn', Value: { Ref: logicalId(dev, dev.stack.orchestration.stateMachine) } },
      ],
    });
  });

  test('timed-out executions raise an alarm', () => {
    expect(alarm('executions-timed-out')).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsTimedOut',
      Threshold: 1,
    });
  });

  test('no successful execution for N hours raises an alarm, missing data counting as breaching', () => {
    expect(alarm('no-successful-execution')).toMatchObject({
      MetricName: 'ExecutionsSucceeded',
      Statistic: 'Sum',
      Period: 6 * 3600,
      EvaluationPeriods: 1,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
  });

  test('no incoming records for N hours raises an alarm', () => {
    expect(alarm('no-incoming-records')).toMatchObject({
      Namespace: 'AWS/Kinesis',
      MetricName: 'IncomingRecords',
      Period: 6 * 3600,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('stale Firehose data raises an alarm', () => {
    expect(alarm('delivery-data-freshness')).toMatchObject({
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.DataFreshness',
      Statistic: 'Maximum',
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: 'eventlake-dev-raw' }],
    });
  });

  test('failed Firehose deliveries raise an alarm', () => {
    expect(alarm('delivery-failures')).toMatchObject({
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.Success',
      Statistic: 'Average',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
    });
  });

  test("the quarantine rate alarm divides the pipeline's QuarantinedLines by LinesRead", () => {
    const props = alarm('quarantine-rate');
    expect(props).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    const metrics = props.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown } };
    }[];
    expect(metrics.find((m) => m.Expression !== undefined)?.Expression).toBe(
      'IF(lines > 0, 100 * quarantined / lines, 0)',
    );
    const names = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort();
    expect(names).toEqual([PIPELINE_METRICS.linesRead, PIPELINE_METRICS.quarantinedLines].sort());
    for (const m of metrics.filter((x) => x.MetricStat)) {
      expect(m.MetricStat!.Metric.Namespace).toBe('EventLake');
      expect(m.MetricStat!.Metric.Dimensions).toEqual([
        { Name: 'Pipeline', Value: 'eventlake-dev-microbatch' },
      ]);
    }
  });

  test('every alarm notifies the alarm topic', () => {
    const topic = { Ref: logicalId(dev, dev.stack.monitoring.topic) };
    const alarms = Object.values(
      dev.template.findResources('AWS::CloudWatch::Alarm') as Record<string, AlarmJson>,
    );
    expect(alarms).toHaveLength(7);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([topic]);
  });

  test('the alarm topic is encrypted with a key CloudWatch may use', () => {
    dev.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(dev, dev.stack.monitoring.topicKey), 'Arn'] },
    });
    dev.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  test('a dashboard shows the pipeline', () => {
    dev.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'eventlake-dev-pipeline',
    });
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged in monitoring', () => {
    expect(new AwsSolutionsChecks().validateScope(dev.stack.monitoring).violations).toEqual([]);
  });
});
