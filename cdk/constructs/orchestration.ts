import { RemovalPolicy } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ATHENA_TABLES } from '../../src/workflow/athena-tables';
import {
  ASL_FILE,
  SETTING_PLACEHOLDERS,
  STATE_BINDINGS,
  TASK_NAMES,
  type TaskName,
} from '../../src/workflow/registry';
import { athenaStateQuery } from '../../src/workflow/athena-state-query';
import { AccessPolicyBuilder, type AccessResources } from './access-policy';
import { aslStateMachine, scheduleRole, stateMachineRole } from './state-machine-parts';
import { TaskFunction } from './task-function';
import { TASK_SPECS, type GlueTable } from './task-specs';

/** Input of every scheduled execution (src/pipeline/run-input.ts). */
export const SCHEDULED_INPUT = { mode: 'scheduled' } as const;

/**
 * Each Athena statement the ASL runs natively (registry `athena` bindings), by SQL name (sql/manifest.json):
 * the tables it reads and commits (for the state machine's IAM).
 */
interface NativeAthenaStatement {
  readonly read: readonly GlueTable[];
  readonly write: readonly GlueTable[];
  /** Tables whose files the statement deletes (VACUUM). */
  readonly deletesFiles?: readonly GlueTable[];
}

const NATIVE_ATHENA: Readonly<Record<string, NativeAthenaStatement>> = {
  clear_classified: { read: [ATHENA_TABLES.classified], write: [ATHENA_TABLES.classified] },
  classify_batch: {
    read: [ATHENA_TABLES.staged, ATHENA_TABLES.events, ATHENA_TABLES.erasedUsers, ATHENA_TABLES.erasureSalt, ATHENA_TABLES.classified],
    write: [ATHENA_TABLES.classified],
  },
  merge_group: {
    read: [ATHENA_TABLES.classified, ATHENA_TABLES.events],
    write: [ATHENA_TABLES.events],
  },
  // The compaction state machine (cdk/constructs/compaction.ts).
  optimize_partition: { read: [ATHENA_TABLES.events], write: [ATHENA_TABLES.events] },
  vacuum_events: {
    read: [ATHENA_TABLES.events],
    write: [ATHENA_TABLES.events],
    deletesFiles: [ATHENA_TABLES.events],
  },
  vacuum_classified: {
    read: [ATHENA_TABLES.classified],
    write: [ATHENA_TABLES.classified],
    deletesFiles: [ATHENA_TABLES.classified],
  },
  // The forget state machine (cdk/constructs/forget.ts): Iceberg DELETEs write delete files, never remove any.
  forget_curated_rows: { read: [ATHENA_TABLES.events], write: [ATHENA_TABLES.events] },
  forget_classified_rows: { read: [ATHENA_TABLES.classified], write: [ATHENA_TABLES.classified] },
};

export function nativeAthena(state: string, sql: string): NativeAthenaStatement {
  const statement = NATIVE_ATHENA[sql];
  if (statement === undefined)
    throw new Error(
      `${state}: sql "${sql}" is not declared in NATIVE_ATHENA (cdk/constructs/orchestration.ts)`,
    );
  return statement;
}

export interface OrchestrationProps extends AccessResources {
  /** Prefix of function, state machine, schedule and log group names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  /** Environment of every task Lambda: exactly the variables src/runtime/aws/env.ts reads. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Minutes between scheduled executions.
   * @default 15
   */
  readonly scheduleRateMinutes?: number;
  /**
   * Whether the schedule starts executions (disable to pause the pipeline without a deploy of code).
   * @default true
   */
  readonly scheduleEnabled?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The micro-batch: one TaskFunction per registry `lambda` task, the Step Functions state machine built
 * from the same ASL file the local runtime runs (DefinitionBody.fromFile) with its placeholders
 * substituted from the registry, and an EventBridge Scheduler schedule starting it. Every role is
 * written by hand: the state machine may invoke exactly these functions and run the classification and the MERGE in Athena;
 * the schedule may start exactly this state machine.
 */
export class Orchestration extends Construct {
  readonly functions: Readonly<Record<TaskName, TaskFunction>>;
  readonly stateMachine: StateMachine;
  readonly stateMachineRole: Role;
  readonly stateMachineLogGroup: LogGroup;
  readonly definitionSubstitutions: Readonly<Record<string, string>>;
  readonly schedule: CfnSchedule;
  readonly scheduleRole: Role;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const access = new AccessPolicyBuilder(props);
    const databaseName = props.catalog.databaseName;

    const functions = {} as Record<TaskName, TaskFunction>;
    for (const task of TASK_NAMES) {
      const spec = TASK_SPECS[task];
      functions[task] = new TaskFunction(this, pascal(task), {
        namePrefix: props.namePrefix,
        task,
        description: spec.description,
        memoryMiB: spec.memoryMiB,
        timeoutSeconds: spec.timeoutSeconds,
        environment: props.environment,
        grants: access.taskGrants(pascal(task), spec.access),
        logRetention,
        removalPolicy,
      });
    }
    this.functions = functions;

    this.definitionSubstitutions = this.substitutions(databaseName, props.catalog.workGroupName);

    const invoked = [
      ...new Set(Object.values(STATE_BINDINGS).flatMap((b) => (b.kind === 'lambda' ? [b.task] : []))),
    ];
    const athenaStates = Object.entries(STATE_BINDINGS).flatMap(([state, b]) =>
      b.kind === 'athena' ? [{ state, ...nativeAthena(state, b.sql) }] : [],
    );
    const mergeGrants = access.athenaGrants({
      read: [...new Set(athenaStates.flatMap((a) => a.read))],
      write: [...new Set(athenaStates.flatMap((a) => a.write))],
      readsResults: false,
      caller: `The state machine (${athenaStates.map((a) => a.state).join(', ')})`,
    });
    this.stateMachineRole = stateMachineRole(this, {
      description: `${props.namePrefix}-microbatch: invoke the task functions, MERGE into the curated table`,
      invokes: invoked.sort().map((task) => functions[task].function.functionArn),
      athenaGrants: mergeGrants,
    });

    this.stateMachineLogGroup = new LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: `/aws/vendedlogs/states/${props.namePrefix}-microbatch`,
      retention: logRetention,
      removalPolicy,
    });
    this.stateMachine = aslStateMachine(this, {
      name: `${props.namePrefix}-microbatch`,
      aslFile: ASL_FILE,
      substitutions: this.definitionSubstitutions,
      role: this.stateMachineRole,
      logGroup: this.stateMachineLogGroup,
      removalPolicy,
    });
    this.scheduleRole = scheduleRole(this, `${props.namePrefix}: start scheduled executions of the micro-batch`, this.stateMachine);
    const rate = props.scheduleRateMinutes ?? 15;
    if (!Number.isInteger(rate) || rate < 1)
      throw new Error(`scheduleRateMinutes must be a whole number >= 1, got ${rate}`);
    this.schedule = new CfnSchedule(this, 'Schedule', {
      name: `${props.namePrefix}-microbatch`,
      description: 'Scheduled micro-batch: every raw object that arrived since the last committed run',
      scheduleExpression: `rate(${rate} ${rate === 1 ? 'minute' : 'minutes'})`,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: (props.scheduleEnabled ?? true) ? 'ENABLED' : 'DISABLED',
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: this.scheduleRole.roleArn,
        input: JSON.stringify(SCHEDULED_INPUT),
        // A missed start is not retried: the next schedule picks up every object this one would have.
        retryPolicy: { maximumRetryAttempts: 0 },
      },
    });
  }

  /**
   * DefinitionSubstitutions built from the registry: each `lambda` binding -> its function ARN, each
   * `athena` binding -> the rendered Athena SQL, each setting -> its name. CloudFormation substitutes as
   * plain text inside the ASL's JSON string values, so SQL (quotes, newlines) is JSON-escaped here.
   */
  private substitutions(databaseName: string, workGroupName: string): Record<string, string> {
    const subs: Record<string, string> = {};
    for (const [state, binding] of Object.entries(STATE_BINDINGS)) {
      let value: string;
      if (binding.kind === 'lambda') {
        value = this.functions[binding.task].function.functionArn;
      } else {
        nativeAthena(state, binding.sql);
        value = jsonStringContent(athenaStateQuery(binding, databaseName));
      }
      const existing = subs[binding.placeholder];
      if (existing !== undefined && existing !== value)
        throw new Error(`placeholder ${binding.placeholder} bound twice to different values`);
      subs[binding.placeholder] = value;
    }
    const settings: Record<(typeof SETTING_PLACEHOLDERS)[number], string> = {
      GlueDatabase: databaseName,
      AthenaWorkGroup: workGroupName,
    };
    for (const name of SETTING_PLACEHOLDERS) subs[name] = jsonStringContent(settings[name]);
    return subs;
  }
}

/** `text` as it must appear between the quotes of a JSON string. */
export function jsonStringContent(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function pascal(task: string): string {
  return task.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}
