import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { AthenaEngine } from '../../adapters/aws/athena-engine';
import { AthenaSources } from '../../adapters/aws/athena-sources';
import { DynamoDbStateStore } from '../../adapters/aws/dynamodb-state-store';
import { RoutedObjectStore } from '../../adapters/aws/routed-object-store';
import { S3ObjectStore } from '../../adapters/aws/s3-object-store';
import { systemClock } from '../../ports/clock';
import { DEFAULT_CONFIG, type PipelineConfig } from '../../pipeline/config';
import { ErasedUsersStateStore } from '../../pipeline/erased-users';
import { Layout } from '../../ports/layout';
import type { PipelineDeps, Progress } from '../../pipeline/deps';
import type { AwsEnv } from '../../workflow/environment';
import { readAwsEnv } from './env';

/** The SDK clients of one process. Created once (Lambda cold start) and shared by every adapter. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly athena: AthenaClient;
}

/** Object-key prefix -> bucket on AWS (docs/contract.md#layout). Glue table locations follow it. */
export function bucketRoutes(env: AwsEnv): { prefix: string; bucket: string }[] {
  return [
    { prefix: Layout.raw, bucket: env.rawBucket },
    { prefix: 'curated/', bucket: env.curatedBucket },
    { prefix: Layout.erasures, bucket: env.curatedBucket },
    { prefix: 'quarantine/', bucket: env.quarantineBucket },
    { prefix: Layout.replays, bucket: env.quarantineBucket },
    { prefix: 'staging/', bucket: env.stagingBucket },
    { prefix: 'runs/', bucket: env.stagingBucket },
  ];
}

export function awsPipelineConfig(env: AwsEnv): PipelineConfig {
  return {
    ...DEFAULT_CONFIG,
    pipelineName: env.pipelineName,
    lookbackHours: env.lookbackHours,
    sliceMaxBytes: env.sliceMaxBytes,
    maxBatchObjects: env.maxBatchObjects,
    maxBatchBytes: env.maxBatchBytes,
    dedupHorizonDays: env.dedupHorizonDays,
  };
}

/**
 * How long a Lambda waits for one Athena query before stopping it: below the timeout of every function
 * that queries (tests/cdk/orchestration.test.ts), so a slow query is stopped and reported by the function,
 * never left running behind a Lambda that timed out.
 */
export const ATHENA_QUERY_TIMEOUT_MS = 180_000;

/** Progress lines go to CloudWatch Logs through stdout. */
export const awsProgress: Progress = (message) => console.log(`[eventlake] ${message}`);

/**
 * The AWS runtime's PipelineDeps: S3 buckets routed by key prefix, DynamoDB state, Athena SQL. Reads and
 * checks the environment first (ConfigError naming each bad variable); creates the SDK clients unless
 * given (tests inject mocked ones). Call once per process.
 */
export function createAwsDeps(
  env: Readonly<Record<string, string | undefined>> = process.env,
  clients: Partial<AwsClients> = {},
): PipelineDeps {
  const settings = readAwsEnv(env);
  // SDK defaults: region and credentials from the Lambda environment.
  const s3 = clients.s3 ?? new S3Client({});
  const dynamodb = clients.dynamodb ?? new DynamoDBClient({});
  const athena = clients.athena ?? new AthenaClient({});
  const stores = new Map<string, S3ObjectStore>();
  const storeOf = (bucket: string): S3ObjectStore => {
    let store = stores.get(bucket);
    if (store === undefined) stores.set(bucket, (store = new S3ObjectStore({ client: s3, bucket })));
    return store;
  };
  const objects = new RoutedObjectStore(
    bucketRoutes(settings).map(({ prefix, bucket }) => ({ prefix, store: storeOf(bucket) })),
  );
  return {
    objects,
    // Forgotten users' versions are dropped, so no later run rebuilds their state (src/pipeline/erased-users.ts),
    // as the local runtime does (src/runtime/local-stores.ts).
    state: new ErasedUsersStateStore(
      new DynamoDbStateStore({
        client: dynamodb,
        stateTable: settings.stateTable,
        controlTable: settings.controlTable,
        // User state folds versions older than the dedup horizon (src/adapters/version-fold.ts).
        horizonDays: settings.dedupHorizonDays,
      }),
      objects,
    ),
    sql: new AthenaEngine({
      client: athena,
      workGroup: settings.athenaWorkGroup,
      database: settings.glueDatabase,
      timeoutMs: ATHENA_QUERY_TIMEOUT_MS,
    }),
    dialect: 'athena',
    sources: new AthenaSources(settings.glueDatabase),
    clock: systemClock,
    config: awsPipelineConfig(settings),
    progress: awsProgress,
  };
}
