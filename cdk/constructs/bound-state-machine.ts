import { RemovalPolicy } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { athenaStateQuery } from '../../src/workflow/athena-state-query';
import { SETTING_PLACEHOLDERS, type TaskBinding, type TaskName } from '../../src/workflow/registry';
import { AccessPolicyBuilder, type AccessResources } from './access-policy';
import { jsonStringContent, nativeAthena } from './orchestration';
import { aslStateMachine, stateMachineRole } from './state-machine-parts';
import type { TaskFunction } from './task-function';
import type { GlueTable } from './task-specs';

export interface BoundStateMachineProps extends AccessResources {
  /** Prefix of the state machine and log group names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  /** `<namePrefix>-<name>` names the state machine and its log group. */
  readonly name: string;
  readonly aslFile: string;
  /** Its Task states and what runs each (a registry like src/workflow/compaction-registry.ts). */
  readonly bindings: Readonly<Record<string, TaskBinding>>;
  /** The task functions (cdk/constructs/orchestration.ts): it invokes those its bindings name. */
  readonly functions: Readonly<Record<TaskName, TaskFunction>>;
  /** The role's description: what it may do. */
  readonly roleDescription: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A second state machine beside the micro-batch (the compaction, the forget), built from its ASL file and its
 * registry the way the micro-batch is: each `lambda` binding substituted by its function's ARN, each `athena`
 * binding by its SQL as a States.Format template, the settings by their names. Its role may invoke exactly
 * the functions its bindings name and run exactly its native Athena statements (NATIVE_ATHENA's tables).
 */
export function boundStateMachine(scope: Construct, props: BoundStateMachineProps): { stateMachine: StateMachine; role: Role; substitutions: Readonly<Record<string, string>> } {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  const access = new AccessPolicyBuilder(props);
  const databaseName = props.catalog.databaseName;
  const subs: Record<string, string> = {};
  const invoked = new Set<TaskName>();
  const athenaStates: { state: string; read: readonly GlueTable[]; write: readonly GlueTable[]; deletesFiles: readonly GlueTable[] }[] = [];
  for (const [state, binding] of Object.entries(props.bindings)) {
    let value: string;
    if (binding.kind === 'lambda') {
      invoked.add(binding.task);
      value = props.functions[binding.task].function.functionArn;
    } else {
      const statement = nativeAthena(state, binding.sql);
      athenaStates.push({ state, read: statement.read, write: statement.write, deletesFiles: statement.deletesFiles ?? [] });
      value = jsonStringContent(athenaStateQuery(binding, databaseName));
    }
    if (subs[binding.placeholder] !== undefined && subs[binding.placeholder] !== value)
      throw new Error(`placeholder ${binding.placeholder} bound twice to different values`);
    subs[binding.placeholder] = value;
  }
  const settings: Record<(typeof SETTING_PLACEHOLDERS)[number], string> = {
    GlueDatabase: databaseName,
    AthenaWorkGroup: props.catalog.workGroupName,
  };
  for (const name of SETTING_PLACEHOLDERS) subs[name] = jsonStringContent(settings[name]);

  const unique = <T>(lists: readonly (readonly T[])[]) => [...new Set(lists.flat())];
  const athenaGrants = access.athenaGrants({
    read: unique(athenaStates.map((a) => a.read)),
    write: unique(athenaStates.map((a) => a.write)),
    deletesFiles: unique(athenaStates.map((a) => a.deletesFiles)),
    readsResults: false,
    caller: `The ${props.name} state machine (${athenaStates.map((a) => a.state).join(', ')})`,
  });
  const role = stateMachineRole(scope, {
    description: props.roleDescription,
    invokes: [...invoked].sort().map((task) => props.functions[task].function.functionArn),
    athenaGrants,
  });
  const logGroup = new LogGroup(scope, 'StateMachineLogGroup', {
    logGroupName: `/aws/vendedlogs/states/${props.namePrefix}-${props.name}`,
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    removalPolicy,
  });
  const stateMachine = aslStateMachine(scope, {
    name: `${props.namePrefix}-${props.name}`,
    aslFile: props.aslFile,
    substitutions: subs,
    role,
    logGroup,
    removalPolicy,
  });
  return { stateMachine, role, substitutions: subs };
}
