import { existsSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ErrorNames } from '../../src/errors';
import { createAwsDeps } from '../../src/runtime/aws/deps';
import { readAwsEnv } from '../../src/runtime/aws/env';
import { AWS_ENV_VARIABLE_NAMES } from '../../src/workflow/environment';
import { TASK_NAMES } from '../../src/workflow/registry';
import { lambdaHandler } from '../../src/runtime/aws/lambda-entry';
import { TASK_FACTORIES } from '../../tasks/index';

const FULL_ENV = {
  EVENTLAKE_RAW_BUCKET: 'acme-eventlake-raw',
  EVENTLAKE_CURATED_BUCKET: 'acme-eventlake-curated',
  EVENTLAKE_STAGING_BUCKET: 'acme-eventlake-staging',
  EVENTLAKE_QUARANTINE_BUCKET: 'acme-eventlake-quarantine',
  EVENTLAKE_STATE_TABLE: 'eventlake-state',
  EVENTLAKE_CONTROL_TABLE: 'eventlake-control',
  EVENTLAKE_ATHENA_WORKGROUP: 'eventlake',
  EVENTLAKE_GLUE_DATABASE: 'eventlake',
};

const REQUIRED = Object.keys(FULL_ENV);

describe('readAwsEnv', () => {
  it('reads every setting, with defaults for the optional ones', () => {
    expect(readAwsEnv(FULL_ENV)).toEqual({
      rawBucket: 'acme-eventlake-raw',
      curatedBucket: 'acme-eventlake-curated',
      stagingBucket: 'acme-eventlake-staging',
      quarantineBucket: 'acme-eventlake-quarantine',
      stateTable: 'eventlake-state',
      controlTable: 'eventlake-control',
      athenaWorkGroup: 'eventlake',
      glueDatabase: 'eventlake',
      pipelineName: 'microbatch',
      lookbackHours: 72,
      sliceMaxBytes: 8 * 1024 * 1024,
      maxBatchObjects: 500,
      maxBatchBytes: 2 * 1024 ** 3,
      dedupHorizonDays: 7,
    });
  });

  it('reads the optional settings when given', () => {
    const env = {
      ...FULL_ENV,
      EVENTLAKE_PIPELINE_NAME: 'hourly',
      EVENTLAKE_LOOKBACK_HOURS: '24',
      EVENTLAKE_SLICE_MAX_BYTES: '1048576',
      EVENTLAKE_MAX_BATCH_OBJECTS: '50',
      EVENTLAKE_MAX_BATCH_BYTES: '1073741824',
      EVENTLAKE_DEDUP_HORIZON_DAYS: '0',
    };

    expect(readAwsEnv(env)).toMatchObject({
      pipelineName: 'hourly',
      lookbackHours: 24,
      sliceMaxBytes: 1048576,
      maxBatchObjects: 50,
      maxBatchBytes: 1073741824,
      dedupHorizonDays: 0,
    });
  });

  it.each(REQUIRED)('names %s when it is missing, with the form it expects', (name) => {
    const env: Record<string, string> = { ...FULL_ENV };
    delete env[name];

    expect(() => readAwsEnv(env)).toThrow(
      expect.objectContaining({
        name: ErrorNames.Config,
        message: expect.stringContaining(`${name} is not set: expected`) as unknown,
      }) as Error,
    );
  });

  it('treats an empty value as missing', () => {
    expect(() => readAwsEnv({ ...FULL_ENV, EVENTLAKE_STATE_TABLE: '' })).toThrow(
      'EVENTLAKE_STATE_TABLE is not set',
    );
  });

  it.each([
    ['EVENTLAKE_RAW_BUCKET', 'Raw_Bucket', 'an S3 bucket name'],
    ['EVENTLAKE_GLUE_DATABASE', 'event-lake', 'a Glue database name'],
    ['EVENTLAKE_LOOKBACK_HOURS', 'three', 'a whole number of hours from 1 to 8784'],
    ['EVENTLAKE_SLICE_MAX_BYTES', '8MiB', 'a whole number of bytes'],
    ['EVENTLAKE_DEDUP_HORIZON_DAYS', '-1', 'a whole number of days'],
  ])('names %s when its value %p is invalid', (name, value, form) => {
    expect(() => readAwsEnv({ ...FULL_ENV, [name]: value })).toThrow(
      `${name}=${JSON.stringify(value)} is invalid: expected ${form}`,
    );
  });

  it('lists every problem at once', () => {
    expect(() => readAwsEnv({})).toThrow(new RegExp(REQUIRED.join('.*')));
  });

  it('exports the names CDK must set', () => {
    expect([...AWS_ENV_VARIABLE_NAMES].sort()).toEqual(
      [
        ...REQUIRED,
        'EVENTLAKE_PIPELINE_NAME',
        'EVENTLAKE_LOOKBACK_HOURS',
        'EVENTLAKE_SLICE_MAX_BYTES',
        'EVENTLAKE_MAX_BATCH_OBJECTS',
        'EVENTLAKE_MAX_BATCH_BYTES',
        'EVENTLAKE_DEDUP_HORIZON_DAYS',
      ].sort(),
    );
  });
});

describe('Lambda entries', () => {
  const root = path.join(__dirname, '..', '..');

  it.each(TASK_NAMES)('tasks/%s/lambda.ts exports a function handler', (task) => {
    const file = path.join(root, 'tasks', task, 'lambda.ts');
    expect(existsSync(file)).toBe(true);

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require(file) as { handler?: unknown };

    expect(typeof entry.handler).toBe('function');
  });

  describe('lambdaHandler', () => {
    const dynamodb = mockClient(DynamoDBClient);
    let logged: jest.SpyInstance;

    beforeEach(() => {
      dynamodb.reset();
      logged = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    });

    afterEach(() => {
      logged.mockRestore();
    });

    it('builds deps once and runs the registry task with them', async () => {
      // Prepare
      dynamodb.on(PutItemCommand).resolves({});
      const build = jest.fn(() =>
        createAwsDeps(FULL_ENV, { dynamodb: new DynamoDBClient({ region: 'eu-west-1' }) }),
      );
      const handler = lambdaHandler('acquire-lease', TASK_FACTORIES['acquire-lease'], build);
      const event = { run: { mode: 'scheduled' }, execution: 'exec-1' };

      // Act
      const first = await handler(event);
      const second = await handler({ ...event, execution: 'exec-2' });

      // Assess
      expect(first).toEqual({ acquired: true, owner: 'exec-1', holder: null });
      expect(second).toEqual({ acquired: true, owner: 'exec-2', holder: null });
      expect(build).toHaveBeenCalledTimes(1);
      expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.TableName).toBe('eventlake-control');
    });

    it('lets task errors through with their ASL name (Lambda reports it as errorType)', async () => {
      const handler = lambdaHandler('acquire-lease', TASK_FACTORIES['acquire-lease'], () =>
        createAwsDeps(FULL_ENV, { dynamodb: new DynamoDBClient({}) }),
      );

      await expect(handler({ run: { mode: 'sometimes' }, execution: 'exec-1' })).rejects.toMatchObject({
        name: ErrorNames.InvalidInput,
      });
    });

    it('fails an invocation with ConfigError naming the variable when the environment lacks it', async () => {
      // Prepare
      const saved = { ...process.env };
      for (const name of AWS_ENV_VARIABLE_NAMES) delete process.env[name];
      Object.assign(process.env, FULL_ENV);
      delete process.env.EVENTLAKE_CONTROL_TABLE;

      try {
        // Act
        const failure = lambdaHandler('release-lease', TASK_FACTORIES['release-lease'])({ lease: { acquired: true, owner: 'exec-1' } });

        // Assess
        await expect(failure).rejects.toMatchObject({
          name: ErrorNames.Config,
          message: expect.stringContaining('EVENTLAKE_CONTROL_TABLE is not set') as unknown,
        });
      } finally {
        process.env = saved;
      }
    });
  });
});
