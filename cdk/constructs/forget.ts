import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FORGET_ASL_FILE, FORGET_STATE_BINDINGS } from '../../src/workflow/forget-registry';
import type { TaskName } from '../../src/workflow/registry';
import type { AccessResources } from './access-policy';
import { boundStateMachine } from './bound-state-machine';
import type { TaskFunction } from './task-function';

export interface ForgetProps extends AccessResources {
  /** Prefix of the state machine and log group names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  /** The task functions (cdk/constructs/orchestration.ts): the forget invokes its own and the lease's. */
  readonly functions: Readonly<Record<TaskName, TaskFunction>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The forget: its own small state machine (state-machines/forget.asl.json) under the micro-batch's run lease,
 * started by hand only (`eventlake forget --state-machine-arn ARN --user UUID`, StartExecution with
 * `{"user": "<uuid>"}`): no schedule. Its role may invoke exactly its functions and run the two DELETEs of
 * the user's rows (curated and classified Iceberg tables) in Athena.
 */
export class Forget extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineRole: Role;
  readonly definitionSubstitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ForgetProps) {
    super(scope, id);
    const { stateMachine, role, substitutions } = boundStateMachine(this, {
      ...props,
      name: 'forget',
      aslFile: FORGET_ASL_FILE,
      bindings: FORGET_STATE_BINDINGS,
      roleDescription: `${props.namePrefix}-forget: invoke the lease and forget functions, DELETE one user's rows in Athena`,
    });
    this.stateMachine = stateMachine;
    this.stateMachineRole = role;
    this.definitionSubstitutions = substitutions;
  }
}
