import { AwsSolutionsChecks } from 'cdk-nag';
import { logicalId, synthStage, type SynthesizedStage } from './app-fixture';

let dev: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
});

function tableProps(name: 'userStateTable' | 'controlTable'): Record<string, unknown> {
  const id = logicalId(dev, dev.stack.state[name]);
  return (dev.template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>)[id]!
    .Properties;
}

describe('State', () => {
  test('user-state is keyed by entity', () => {
    expect(tableProps('userStateTable')).toMatchObject({
      TableName: 'eventlake-dev-user-state',
      KeySchema: [{ AttributeName: 'entity', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'entity', AttributeType: 'S' }],
    });
  });

  test('control is keyed by pk and sk', () => {
    expect(tableProps('controlTable')).toMatchObject({
      TableName: 'eventlake-dev-control',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  test.each(['userStateTable', 'controlTable'] as const)('%s bills per request', (name) => {
    expect(tableProps(name).BillingMode).toBe('PAY_PER_REQUEST');
  });

  test.each(['userStateTable', 'controlTable'] as const)('%s has point-in-time recovery', (name) => {
    expect(tableProps(name).PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  test.each(['userStateTable', 'controlTable'] as const)('%s is encrypted with the lake key', (name) => {
    expect(tableProps(name).SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(dev, dev.stack.lake.key), 'Arn'] },
    });
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged in the state tables', () => {
    expect(new AwsSolutionsChecks().validateScope(dev.stack.state).violations).toEqual([]);
  });
});
