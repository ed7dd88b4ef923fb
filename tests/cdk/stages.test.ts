import { createEventLakeApp } from '../../cdk/eventlake-app';
import { stageSettings } from '../../cdk/stage-settings';
import { synthStage, type SynthesizedStage } from './app-fixture';

let dev: SynthesizedStage;
let prod: SynthesizedStage;

beforeAll(() => {
  dev = synthStage('dev');
  prod = synthStage('prod');
});

const STATEFUL = [
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::KMS::Key',
  'AWS::Kinesis::Stream',
  'AWS::Logs::LogGroup',
  'AWS::Glue::Table',
  'AWS::Glue::Database',
  'AWS::Athena::WorkGroup',
];

function deletionPolicies(stage: SynthesizedStage, type: string): string[] {
  return Object.values(stage.template.findResources(type) as Record<string, { DeletionPolicy?: string }>).map(
    (r) => r.DeletionPolicy ?? 'Delete',
  );
}

describe('stages', () => {
  test('the stack and its names are prefixed eventlake-<stage>', () => {
    expect(dev.stack.stackName).toBe('eventlake-dev');
    expect(prod.stack.stackName).toBe('eventlake-prod');
    prod.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'eventlake-prod-microbatch',
    });
    prod.template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'eventlake-prod-control' });
  });

  test.each(STATEFUL)('dev deletes %s with the stack', (type) => {
    const policies = deletionPolicies(dev, type);
    expect(policies.length).toBeGreaterThan(0);
    expect(new Set(policies)).toEqual(new Set(['Delete']));
  });

  test.each(STATEFUL)('prod retains %s', (type) => {
    const policies = deletionPolicies(prod, type);
    expect(policies.length).toBeGreaterThan(0);
    expect(new Set(policies)).toEqual(new Set(['Retain']));
  });

  test('dev empties its buckets on delete; prod never does', () => {
    dev.template.resourceCountIs('Custom::S3AutoDeleteObjects', 6);
    prod.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('prod tables have deletion protection; dev tables do not', () => {
    for (const table of Object.values(
      prod.template.findResources('AWS::DynamoDB::Table') as Record<
        string,
        { Properties: { DeletionProtectionEnabled?: boolean } }
      >,
    )) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
    for (const table of Object.values(
      dev.template.findResources('AWS::DynamoDB::Table') as Record<
        string,
        { Properties: { DeletionProtectionEnabled?: boolean } }
      >,
    )) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });

  test('prod has stack termination protection', () => {
    expect(prod.stack.terminationProtection).toBe(true);
    expect(dev.stack.terminationProtection).toBe(false);
  });

  test('an unknown stage fails early and names the accepted ones', () => {
    expect(() => stageSettings('staging')).toThrow('unknown stage "staging": use -c stage=dev|prod');
    expect(() => createEventLakeApp({ context: { stage: 'qa', 'aws:cdk:bundling-stacks': [] } })).toThrow(
      /dev\|prod/,
    );
  });
});
