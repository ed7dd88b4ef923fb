import {
  synthesizeForVerify,
  TemplateResolver,
  type CfnTemplate,
  type VerifySynthesis,
} from '../../verify/template';

const template: CfnTemplate = {
  Parameters: {
    Stage: { Type: 'String', Default: 'dev' },
    BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/version' },
  },
  Resources: {
    NamedBucket: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketName: { 'Fn::Join': ['-', ['lake', { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }]] },
      },
    },
    UnnamedBucket: { Type: 'AWS::S3::Bucket' },
    Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'eventlake-dev-plan-batch' } },
    Role: { Type: 'AWS::IAM::Role', Properties: { Path: '/service/' } },
    Key: { Type: 'AWS::KMS::Key' },
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'control' } },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'sm' } },
    Group: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/x' } },
    WorkGroup: { Type: 'AWS::Athena::WorkGroup', Properties: { Name: 'wg' } },
    Database: { Type: 'AWS::Glue::Database', Properties: { DatabaseInput: { Name: 'db' } } },
    IcebergTable: { Type: 'AWS::Glue::Table', Properties: { DatabaseName: 'db', Name: 'events' } },
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alarms' } },
    Weird: { Type: 'AWS::EC2::Instance' },
  },
};

const r = new TemplateResolver(template, { stackName: 'my-stack' });

describe('TemplateResolver', () => {
  test('pseudo parameters are the fake account and region', () => {
    expect(
      r.resolve({
        'Fn::Sub': '${AWS::Partition}:${AWS::Region}:${AWS::AccountId}:${AWS::URLSuffix}:${AWS::StackName}',
      }),
    ).toBe('aws:us-east-1:123456789012:amazonaws.com:my-stack');
  });

  test('Ref and Fn::GetAtt of a named bucket give its name and arn:aws:s3:::<name>', () => {
    expect(r.resolve({ Ref: 'NamedBucket' })).toBe('lake-123456789012-us-east-1');
    expect(r.resolve({ 'Fn::GetAtt': ['NamedBucket', 'Arn'] })).toBe(
      'arn:aws:s3:::lake-123456789012-us-east-1',
    );
    expect(r.resolve({ 'Fn::GetAtt': 'NamedBucket.Arn' })).toBe('arn:aws:s3:::lake-123456789012-us-east-1');
  });

  test('an unnamed bucket gets a deterministic lower-case <stack>-<logical id>-<random> name of at most 63 characters', () => {
    const name = r.ref('UnnamedBucket');
    expect(name).toMatch(/^my-stack-unnamedbucket-[0-9a-f]{12}$/);
    expect(new TemplateResolver(template, { stackName: 'my-stack' }).ref('UnnamedBucket')).toBe(name);
    const long = new TemplateResolver(template, { stackName: 'x'.repeat(80) }).ref('UnnamedBucket');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toBe(long.toLowerCase());
  });

  test('ARNs of functions, roles, keys, tables, state machines, log groups, workgroups, Glue and topics', () => {
    expect(r.getAtt('Fn', 'Arn')).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:eventlake-dev-plan-batch',
    );
    expect(r.getAtt('Role', 'Arn')).toMatch(
      /^arn:aws:iam::123456789012:role\/service\/my-stack-Role-[0-9A-F]{12}$/,
    );
    expect(r.getAtt('Key', 'Arn')).toBe(`arn:aws:kms:us-east-1:123456789012:key/${r.ref('Key')}`);
    expect(r.ref('Key')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.getAtt('Table', 'Arn')).toBe('arn:aws:dynamodb:us-east-1:123456789012:table/control');
    expect(r.ref('Machine')).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:sm');
    expect(r.getAtt('Group', 'Arn')).toBe('arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*');
    expect(r.arn('WorkGroup')).toBe('arn:aws:athena:us-east-1:123456789012:workgroup/wg');
    expect(r.arn('Database')).toBe('arn:aws:glue:us-east-1:123456789012:database/db');
    expect(r.arn('IcebergTable')).toBe('arn:aws:glue:us-east-1:123456789012:table/db/events');
    expect(r.ref('Topic')).toBe('arn:aws:sns:us-east-1:123456789012:alarms');
  });

  test('Fn::Join, Fn::Select, Fn::Split and Fn::Sub with a variable map, attributes and ${!literal}', () => {
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('b');
    expect(r.resolve({ 'Fn::Join': ['', [{ Ref: 'Stage' }, '-', { 'Fn::GetAtt': ['Table', 'Arn'] }]] })).toBe(
      'dev-arn:aws:dynamodb:us-east-1:123456789012:table/control',
    );
    expect(r.resolve({ 'Fn::Sub': ['${NamedBucket.Arn}/${Prefix}*', { Prefix: { Ref: 'Stage' } }] })).toBe(
      'arn:aws:s3:::lake-123456789012-us-east-1/dev*',
    );
    expect(r.resolve({ 'Fn::Sub': 'keep ${!batch_id} as is' })).toBe('keep ${batch_id} as is');
    expect(r.resolve({ Nested: [{ Ref: 'Fn' }, 3, true] })).toEqual({
      Nested: ['eventlake-dev-plan-batch', 3, true],
    });
  });

  test.each([
    [{ 'Fn::If': ['C', 'a', 'b'] }, /Fn::If is not supported/],
    [{ 'Fn::ImportValue': 'x' }, /Fn::ImportValue is not supported/],
    [{ Ref: 'Missing' }, /no resource Missing/],
    [{ Ref: 'Weird' }, /AWS::EC2::Instance is not supported/],
    [{ 'Fn::GetAtt': ['NamedBucket', 'WebsiteURL'] }, /no supported attribute WebsiteURL/],
    [{ Ref: 'BootstrapVersion' }, /BootstrapVersion .* has no value offline/],
    [{ Ref: 'AWS::NotificationARNs' }, /pseudo parameter AWS::NotificationARNs is not supported/],
    [{ 'Fn::Select': [5, ['a']] }, /index 5 outside a list of 1/],
  ])('fails loudly on what it cannot resolve: %j', (value, message) => {
    expect(() => r.resolve(value, 'here')).toThrow(message);
  });
});

describe('the synthesized template', () => {
  let synth: VerifySynthesis;

  beforeAll(() => {
    synth = synthesizeForVerify('dev');
  });

  test('synthesis is cached per process', () => {
    expect(synthesizeForVerify('dev')).toBe(synth);
  });

  test('every property of every resource and every output resolves', () => {
    const resolver = new TemplateResolver(synth.template, { stackName: synth.stackName });
    for (const [id, resource] of Object.entries(synth.template.Resources))
      expect(() => resolver.resolve(resource.Properties ?? {}, id)).not.toThrow();
    expect(resolver.resolve(synth.template.Outputs, 'Outputs')).toMatchObject({
      StateMachineArn: {
        Value: 'arn:aws:states:us-east-1:123456789012:stateMachine:eventlake-dev-microbatch',
      },
      RawBucket: { Value: 'eventlake-dev-raw-123456789012-us-east-1' },
    });
  });

  test('the state machine definition is an S3 file asset of the cloud assembly', () => {
    const [machine] = Object.values(synth.template.Resources).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    expect(machine?.Properties).toHaveProperty('DefinitionS3Location');
    expect(machine?.Properties).not.toHaveProperty('DefinitionString');
  });
});
