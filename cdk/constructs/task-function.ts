import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TaskName } from '../../src/workflow/registry';
import { acknowledgeWildcardResources, cfnResourceOf } from '../nag';

export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * esbuild settings of every task bundle (CommonJS, no source map); tests/verify/lambda-bundles.test.ts
 * bundles with the same ones to prove each bundle holds its own task only.
 */
export const TASK_BUNDLE = { target: 'node24', minify: true, externalModules: ['@aws-sdk/*'] } as const;

/**
 * The newest Node.js runtime this aws-cdk-lib knows (AwsSolutions-L1 checks exactly that). Bumping
 * aws-cdk-lib may add a newer one: tests/cdk/orchestration.test.ts then fails and names it.
 */
export const TASK_RUNTIME = Runtime.NODEJS_24_X;

/** One IAM grant of a task, with the reason its resources need a wildcard (when they do). */
export interface TaskGrant {
  readonly statement: PolicyStatement;
  /** Why a wildcard resource is the narrowest possible (object keys carry run-time batch ids...). */
  readonly wildcardReason?: string;
}

export interface TaskFunctionProps {
  /** Prefix of the function and log group names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  /** The registry task; its code is `tasks/<task>/lambda.ts` (export `handler`). */
  readonly task: TaskName;
  readonly description: string;
  readonly memoryMiB: number;
  /** Must stay below the ASL state's TimeoutSeconds so the state sees the Lambda's own timeout error. */
  readonly timeoutSeconds: number;
  /** Exactly the variables src/runtime/aws/env.ts reads (names: src/workflow/environment.ts). */
  readonly environment: Readonly<Record<string, string>>;
  /** What the task touches, written by hand; logging to its own log group is added here. */
  readonly grants: readonly TaskGrant[];
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One registry task as a Lambda: esbuild-bundled NodejsFunction on arm64 and the newest Node runtime,
 * its own log group with a retention, and its own role holding only the given grants (no managed
 * policies). The AWS SDK v3 is left out of the bundle: the Node.js runtime provides it.
 */
export class TaskFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    super(scope, id);
    const functionName = `${props.namePrefix}-${props.task}`;
    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    const statements = [
      // The log group's ARN attribute ends in `:*`, which covers its log streams and nothing else.
      new PolicyStatement({
        sid: 'Logs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
      ...props.grants.map((grant) => grant.statement),
    ];
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName}: ${props.description}`,
      inlinePolicies: { task: new PolicyDocument({ statements }) },
    });
    for (const grant of props.grants) {
      if (grant.wildcardReason !== undefined) {
        acknowledgeWildcardResources(
          cfnResourceOf(this.role),
          grant.statement.resources,
          grant.wildcardReason,
        );
      }
    }

    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: props.description,
      entry: join(REPO_ROOT, 'tasks', props.task, 'lambda.ts'),
      handler: 'handler',
      runtime: TASK_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment },
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.CJS,
        target: TASK_BUNDLE.target,
        minify: TASK_BUNDLE.minify,
        sourceMap: false,
        externalModules: [...TASK_BUNDLE.externalModules],
        tsconfig: join(REPO_ROOT, 'tsconfig.json'),
        // The SQL templates are read at run time (src/sql/render.ts looks for sql/ beside index.js).
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [`cp -R "${inputDir}/sql" "${outputDir}/sql"`],
        },
      },
    });
  }
}
