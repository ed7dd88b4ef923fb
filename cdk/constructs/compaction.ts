import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { athenaStateQuery } from '../../src/workflow/athena-state-query';
import { COMPACTION_ASL_FILE, COMPACTION_STATE_BINDINGS } from '../../src/workflow/compaction-registry';
import { SETTING_PLACEHOLDERS, type TaskName } from '../../src/workflow/registry';
import { acknowledgeWildcardResources, cfnResourceOf } from '../nag';
import { AccessPolicyBuilder, type AccessResources } from './access-policy';
import { jsonStringContent, nativeAthena } from './orchestration';
import { aslStateMachine, scheduleRole } from './state-machine-parts';
import type { TaskFunction } from './task-function';
import type { GlueTable } from './task-specs';

export interface CompactionProps extends AccessResources {
  /** Prefix of the state machine, schedule and log group names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  /** The task functions (cdk/constructs/orchestration.ts): the compaction invokes its own and the lease's. */
  readonly functions: Readonly<Record<TaskName, TaskFunction>>;
  /**
   * EventBridge Scheduler expression of the scheduled compaction.
   * @default 'cron(30 3 * * ? *)' (daily, 03:30 UTC)
   */
  readonly scheduleExpression?: string;
  /** @default true */
  readonly scheduleEnabled?: boolean;
  /** Days ending yesterday each scheduled compaction rewrites. @default 2 */
  readonly days?: number;
  /** Staging of batches committed at least this many days ago is pruned. @default 3 */
  readonly pruneAfterDays?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The compaction: its own small Step Functions state machine (state-machines/compaction.asl.json) under the
 * micro-batch's run lease, started daily by an EventBridge Scheduler schedule or by hand (StartExecution with
 * `{}` or `{"from","to"}`). Its role may invoke exactly its functions and run OPTIMIZE / VACUUM on the curated
 * table and DELETE / VACUUM on the classified table; the schedule may start exactly this state machine.
 */
export class Compaction extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineRole: Role;
  readonly definitionSubstitutions: Readonly<Record<string, string>>;
  readonly schedule: CfnSchedule;
  readonly scheduleRole: Role;
  /** What each scheduled execution starts with. */
  readonly scheduleInput: { readonly days: number; readonly prune_after_days: number };

  constructor(scope: Construct, id: string, props: CompactionProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const access = new AccessPolicyBuilder(props);
    const databaseName = props.catalog.databaseName;

    const subs: Record<string, string> = {};
    const invoked = new Set<TaskName>();
    const athenaStates: { state: string; read: readonly GlueTable[]; write: readonly GlueTable[]; deletesFiles: readonly GlueTable[] }[] = [];
    for (const [state, binding] of Object.entries(COMPACTION_STATE_BINDINGS)) {
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
    this.definitionSubstitutions = subs;

    const unique = <T>(lists: readonly (readonly T[])[]) => [...new Set(lists.flat())];
    const athenaGrants = access.athenaGrants({
      read: unique(athenaStates.map((a) => a.read)),
      write: unique(athenaStates.map((a) => a.write)),
      deletesFiles: unique(athenaStates.map((a) => a.deletesFiles)),
      readsResults: false,
      caller: `The compaction state machine (${athenaStates.map((a) => a.state).join(', ')})`,
    });
    this.stateMachineRole = new Role(this, 'StateMachineRole', {
      assumedBy: new ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `${props.namePrefix}-compaction: invoke the lease and compaction functions, OPTIMIZE and VACUUM in Athena`,
      inlinePolicies: {
        run: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'InvokeTasks',
              actions: ['lambda:InvokeFunction'],
              resources: [...invoked].sort().map((task) => props.functions[task].function.functionArn),
            }),
            ...athenaGrants.map((grant) => grant.statement),
          ],
        }),
      },
    });
    for (const grant of athenaGrants) {
      if (grant.wildcardReason !== undefined) {
        acknowledgeWildcardResources(cfnResourceOf(this.stateMachineRole), grant.statement.resources, grant.wildcardReason);
      }
    }

    const logGroup = new LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: `/aws/vendedlogs/states/${props.namePrefix}-compaction`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.stateMachine = aslStateMachine(this, {
      name: `${props.namePrefix}-compaction`,
      aslFile: COMPACTION_ASL_FILE,
      substitutions: this.definitionSubstitutions,
      role: this.stateMachineRole,
      logGroup,
      removalPolicy,
    });
    this.scheduleRole = scheduleRole(this, `${props.namePrefix}: start scheduled executions of the compaction`, this.stateMachine);
    this.scheduleInput = { days: props.days ?? 2, prune_after_days: props.pruneAfterDays ?? 3 };
    this.schedule = new CfnSchedule(this, 'Schedule', {
      name: `${props.namePrefix}-compaction`,
      description: 'Scheduled compaction: OPTIMIZE and VACUUM the days ending yesterday, prune committed batches\' staging',
      // Scheduler's cron(minutes hours day-of-month month day-of-week year), in UTC:
      // https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
      scheduleExpression: props.scheduleExpression ?? 'cron(30 3 * * ? *)',
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: (props.scheduleEnabled ?? true) ? 'ENABLED' : 'DISABLED',
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: this.scheduleRole.roleArn,
        input: JSON.stringify(this.scheduleInput),
        // A missed start is not retried: the next day's compaction covers the same partitions again.
        retryPolicy: { maximumRetryAttempts: 0 },
      },
    });
  }
}
