import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakePrefixes } from '../../cdk/constructs/lake';
import {
  evaluateCalls,
  globMatch,
  grants,
  lambdaFunctions,
  loadUnexercisedGrants,
  renderStateMachine,
  rolePolicies,
  staleAllowances,
  synthesizeForVerify,
  TemplateResolver,
  unknownActions,
  unusedGrants,
  type CfnTemplate,
  type FakeEnvironment,
  type RecordedCall,
  type TaskLambda,
  type VerifySynthesis,
} from '../../verify/template';

let synth: VerifySynthesis;
let env: Partial<FakeEnvironment>;
let r: TemplateResolver;
let tasks: Map<string, TaskLambda>;
let stateMachineRole: string;

beforeAll(() => {
  synth = synthesizeForVerify('dev');
  env = { stackName: synth.stackName };
  r = new TemplateResolver(synth.template, env);
  tasks = new Map(lambdaFunctions(synth.template, env).map((f) => [f.task, f]));
  stateMachineRole = renderStateMachine(synth.template, synth.assetDir, { env }).roleLogicalId;
});

function task(name: string): TaskLambda {
  const found = tasks.get(name);
  if (found === undefined) throw new Error(`no task ${name}`);
  return found;
}

/** Physical name of the bucket whose logical id starts with `Lake<Name>Bucket`. */
function bucket(name: string): string {
  const id = r.logicalIdsOfType('AWS::S3::Bucket').find((b) => b.startsWith(`Lake${name}Bucket`));
  if (id === undefined) throw new Error(`no ${name} bucket`);
  return r.physicalName(id);
}

function table(name: string): string {
  const id = r.logicalIdsOfType('AWS::DynamoDB::Table').find((t) => t.startsWith(`State${name}Table`));
  if (id === undefined) throw new Error(`no ${name} table`);
  return r.arn(id);
}

async function decide(call: RecordedCall): Promise<string> {
  const { results } = await evaluateCalls(synth.template, [call], env);
  return results[0]?.decision ?? 'none';
}

describe('rolePolicies', () => {
  test('a task role has its inline policy, resolved', () => {
    const statements = rolePolicies(synth.template, task('plan-batch').roleLogicalId, env);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.every((s) => s.source === 'inline:task')).toBe(true);
    const resources = statements.flatMap((s) => s.statement.Resource ?? []);
    expect(resources).toContain(`arn:aws:s3:::${bucket('Staging')}/staging/batches/*`);
    expect(JSON.stringify(statements)).not.toMatch(/Fn::|"Ref"/);
  });

  test('the state machine role also has the AWS::IAM::Policy attached to it through Roles', () => {
    const sources = new Set(rolePolicies(synth.template, stateMachineRole, env).map((s) => s.source));
    expect(sources).toContain('inline:run');
    expect([...sources].some((s) => synth.template.Resources[s]?.Type === 'AWS::IAM::Policy')).toBe(true);
  });

  test('an AWS managed policy is its built-in documented copy', () => {
    const role = r
      .logicalIdsOfType('AWS::IAM::Role')
      .find((id) => id.startsWith('CustomS3AutoDeleteObjects'));
    if (role === undefined) throw new Error('no custom resource provider role');
    expect(rolePolicies(synth.template, role, env)).toEqual([
      {
        source: 'aws-managed:service-role/AWSLambdaBasicExecutionRole',
        statement: {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: ['*'],
        },
      },
    ]);
  });

  test('an AWS managed policy without a built-in copy fails loudly', () => {
    const template = structuredClone(synth.template) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const role = template.Resources[stateMachineRole];
    if (role === undefined) throw new Error('no role');
    role.Properties.ManagedPolicyArns = ['arn:aws:iam::aws:policy/AdministratorAccess'];
    expect(() => rolePolicies(template as unknown as CfnTemplate, stateMachineRole, env)).toThrow(
      /AdministratorAccess has no built-in copy/,
    );
  });
});

describe('evaluateCalls', () => {
  test('a call the template allows is Allowed', async () => {
    const role = task('plan-batch').roleLogicalId;
    const key = `${bucket('Staging')}/staging/batches/b-1/manifest.json`;
    expect(await decide({ principal: role, action: 's3:PutObject', resource: `arn:aws:s3:::${key}` })).toBe(
      'Allowed',
    );
    expect(await decide({ principal: role, action: 'dynamodb:PutItem', resource: table('Control') })).toBe(
      'Allowed',
    );
  });

  test('a call to a resource outside the grant is denied', async () => {
    const role = task('plan-batch').roleLogicalId;
    const outside = `arn:aws:s3:::${bucket('Curated')}/${LakePrefixes.curatedEvents}data/x.parquet`;
    expect(await decide({ principal: role, action: 's3:PutObject', resource: outside })).toBe(
      'ImplicitlyDenied',
    );
    expect(await decide({ principal: role, action: 'dynamodb:PutItem', resource: table('UserState') })).toBe(
      'ImplicitlyDenied',
    );
    expect(await decide({ principal: role, action: 'dynamodb:DeleteItem', resource: table('Control') })).toBe(
      'ImplicitlyDenied',
    );
  });

  test('s3:ListBucket is allowed only under the granted s3:prefix', async () => {
    const role = task('plan-batch').roleLogicalId;
    const raw = `arn:aws:s3:::${bucket('Raw')}`;
    const list = (prefix: string): RecordedCall => ({
      principal: role,
      action: 's3:ListBucket',
      resource: raw,
      context: { 's3:prefix': prefix },
    });
    expect(await decide(list(`${LakePrefixes.raw}2024/01/01/`))).toBe('Allowed');
    expect(await decide(list('raw-errors/'))).toBe('ImplicitlyDenied');
  });

  test('the state machine may invoke the task functions and nothing else', async () => {
    expect(
      await decide({
        principal: stateMachineRole,
        action: 'lambda:InvokeFunction',
        resource: task('plan-batch').arn,
      }),
    ).toBe('Allowed');
    expect(
      await decide({
        principal: stateMachineRole,
        action: 'lambda:InvokeFunction',
        resource: 'arn:aws:lambda:us-east-1:123456789012:function:someone-else',
      }),
    ).toBe('ImplicitlyDenied');
  });

  test('results keep the calls in order and denied lists the calls not allowed', async () => {
    const role = task('release-lease').roleLogicalId;
    const calls: RecordedCall[] = [
      { principal: role, action: 'dynamodb:DeleteItem', resource: table('Control') },
      { principal: role, action: 'dynamodb:PutItem', resource: table('Control') },
      { principal: role, action: 'dynamodb:DeleteItem', resource: table('Control') },
    ];
    const evaluation = await evaluateCalls(synth.template, calls, env);
    expect(evaluation.results.map((x) => x.decision)).toEqual(['Allowed', 'ImplicitlyDenied', 'Allowed']);
    expect(evaluation.denied).toEqual([calls[1]]);
  });

  test('a call the simulator cannot evaluate (unknown action) throws', async () => {
    await expect(
      evaluateCalls(
        synth.template,
        [
          {
            principal: task('plan-batch').roleLogicalId,
            action: 's3:GetObjekt',
            resource: 'arn:aws:s3:::b/k',
          },
        ],
        env,
      ),
    ).rejects.toThrow(/cannot evaluate/);
  });
});

describe('unusedGrants', () => {
  test('the allowlist file has a role, an action and a non-empty reason in every entry', () => {
    const allowlist = loadUnexercisedGrants();
    expect(allowlist.length).toBeGreaterThan(0);
    for (const entry of allowlist) expect(entry.reason.trim().length).toBeGreaterThan(20);
  });

  test('an allowlist entry without a reason is rejected', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'allowlist-')), 'grants.json');
    writeFileSync(file, JSON.stringify([{ role: 'X*', action: 'logs:PutLogEvents', reason: '  ' }]));
    expect(() => loadUnexercisedGrants(file)).toThrow(/non-empty role, action and reason/);
  });

  test('every allowlist entry matches a grant of the template (none is stale)', () => {
    expect(staleAllowances(synth.template, undefined, env)).toEqual([]);
  });

  test('with no recorded call, every task grant not allowlisted is reported; allowlisted ones are not', () => {
    const unused = unusedGrants(synth.template, [], undefined, env);
    const role = task('plan-batch').roleLogicalId;
    expect(unused).toContainEqual({ role, action: 's3:PutObject' });
    expect(unused).toContainEqual({ role, action: 'dynamodb:PutItem' });
    expect(unused).not.toContainEqual({ role, action: 'logs:PutLogEvents' });
    expect(unused.some((g) => g.role.startsWith('IngestionDeliveryRole'))).toBe(false);
  });

  test('a recorded call of the role exercises the grant', () => {
    const role = task('plan-batch').roleLogicalId;
    const call: RecordedCall = { principal: role, action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' };
    const unused = unusedGrants(synth.template, [call], undefined, env);
    expect(unused).not.toContainEqual({ role, action: 's3:PutObject' });
    expect(unused).toContainEqual({ role, action: 'dynamodb:PutItem' });
    const otherRole = unusedGrants(
      synth.template,
      [{ ...call, principal: stateMachineRole }],
      undefined,
      env,
    );
    expect(otherRole).toContainEqual({ role, action: 's3:PutObject' });
  });

  test('a call for every grant leaves nothing unused, even without an allowlist', () => {
    const calls = grants(synth.template, env).map((g) => ({
      principal: g.role,
      action: g.action,
      resource: '*',
    }));
    expect(unusedGrants(synth.template, calls, [], env)).toEqual([]);
  });

  test('globs: * and ? match, actions case-insensitively', () => {
    expect(globMatch('Orchestration*Role*', 'OrchestrationPlanBatchRoleBB69E306', false)).toBe(true);
    expect(globMatch('Orchestration*Role*', 'IngestionDeliveryRole3563B391', false)).toBe(false);
    expect(globMatch('kms:*', 'KMS:Decrypt', true)).toBe(true);
    expect(globMatch('s3:Get?bject', 's3:GetObject', true)).toBe(true);
    expect(globMatch('s3:GetObject', 's3:GetObjectAcl', true)).toBe(false);
  });
});

describe('unknownActions', () => {
  test('every action named in any policy of the template exists', async () => {
    expect(await unknownActions(synth.template, env)).toEqual([]);
  });

  test('a made-up action is reported', async () => {
    const template = structuredClone(synth.template) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Policies: { PolicyDocument: { Statement: unknown[] } }[] } }
      >;
    };
    const role = template.Resources[task('plan-batch').roleLogicalId];
    const policy = role?.Properties.Policies[0];
    if (policy === undefined) throw new Error('no inline policy');
    policy.PolicyDocument.Statement.push({
      Effect: 'Allow',
      Action: ['s3:GetObjekt', 'dynamo:GetItem', 'kms:Decrypt*'],
      Resource: '*',
    });
    const unknown = await unknownActions(template, env);
    expect(unknown.map((u) => u.action)).toEqual(['s3:GetObjekt', 'dynamo:GetItem']);
    expect(unknown[0]?.where).toMatch(/Policies\[0\]\.PolicyDocument\.Statement\[\d+\]\.Action/);
  });
});
