import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { COMPACTION_ASL_FILE, COMPACTION_STATE_BINDINGS } from '../../src/workflow/compaction-registry';
import type { TaskName } from '../../src/workflow/registry';
import type { AccessResources } from './access-policy';
import { boundStateMachine } from './bound-state-machine';
import { scheduleRole } from './state-machine-parts';
import type { TaskFunction } from './task-function';

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
    const { stateMachine, role, substitutions } = boundStateMachine(this, {
      ...props,
      name: 'compaction',
      aslFile: COMPACTION_ASL_FILE,
      bindings: COMPACTION_STATE_BINDINGS,
      roleDescription: `${props.namePrefix}-compaction: invoke the lease and compaction functions, OPTIMIZE and VACUUM in Athena`,
    });
    this.stateMachine = stateMachine;
    this.stateMachineRole = role;
    this.definitionSubstitutions = substitutions;
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
