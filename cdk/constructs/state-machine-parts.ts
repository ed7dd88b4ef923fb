import { join } from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResources, cfnResourceOf } from '../nag';
import { REPO_ROOT, type TaskGrant } from './task-function';

/**
 * A STANDARD state machine from one of state-machines/*.asl.json (the same file the local runtime runs),
 * logging to `logGroup` without execution data, traced; the microbatch and the compaction are built alike.
 */
export function aslStateMachine(
  scope: Construct,
  props: { name: string; aslFile: string; substitutions: Record<string, string>; role: Role; logGroup: ILogGroup; removalPolicy: RemovalPolicy },
): StateMachine {
  const stateMachine = new StateMachine(scope, 'StateMachine', {
    stateMachineName: props.name,
    stateMachineType: StateMachineType.STANDARD,
    definitionBody: DefinitionBody.fromFile(join(REPO_ROOT, props.aslFile)),
    definitionSubstitutions: props.substitutions,
    role: props.role,
    logs: { destination: props.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    tracingEnabled: true,
    removalPolicy: props.removalPolicy,
  });
  // CDK put these statements in the role's default policy while building the state machine.
  acknowledge(
    cfnResourceOf(props.role.node.findChild('DefaultPolicy')),
    'AwsSolutions-IAM5[Resource::*]',
    'Added by CDK for logging and tracing: CloudWatch Logs vended-log delivery (logs:*LogDelivery*, resource policies) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) have no resource-level permissions.',
  );
  return stateMachine;
}

/**
 * The role a state machine runs as (construct id `StateMachineRole`): it may invoke exactly `invokes` (function
 * ARNs) and do what `athenaGrants` allow for its native Athena states; a grant on wildcard resources is
 * acknowledged to cdk-nag with its reason.
 */
export function stateMachineRole(scope: Construct, props: { description: string; invokes: readonly string[]; athenaGrants: readonly TaskGrant[] }): Role {
  const role = new Role(scope, 'StateMachineRole', {
    assumedBy: new ServicePrincipal('states.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: props.description,
    inlinePolicies: {
      run: new PolicyDocument({
        statements: [
          new PolicyStatement({ sid: 'InvokeTasks', actions: ['lambda:InvokeFunction'], resources: [...props.invokes] }),
          ...props.athenaGrants.map((grant) => grant.statement),
        ],
      }),
    },
  });
  for (const grant of props.athenaGrants) {
    if (grant.wildcardReason !== undefined) acknowledgeWildcardResources(cfnResourceOf(role), grant.statement.resources, grant.wildcardReason);
  }
  return role;
}

/** The role EventBridge Scheduler assumes to start executions of `stateMachine`, and nothing else. */
export function scheduleRole(scope: Construct, description: string, stateMachine: StateMachine): Role {
  return new Role(scope, 'ScheduleRole', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description,
    inlinePolicies: {
      start: new PolicyDocument({
        statements: [new PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] })],
      }),
    },
  });
}
