import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ErrorNames } from '../../../src/errors';
import { DEFAULT_CONFIG } from '../../../src/pipeline/config';
import { createAwsDeps } from '../../../src/runtime/aws/deps';

const ENV = {
  EVENTLAKE_RAW_BUCKET: 'acme-raw',
  EVENTLAKE_CURATED_BUCKET: 'acme-curated',
  EVENTLAKE_STAGING_BUCKET: 'acme-staging',
  EVENTLAKE_QUARANTINE_BUCKET: 'acme-quarantine',
  EVENTLAKE_STATE_TABLE: 'eventlake-state',
  EVENTLAKE_CONTROL_TABLE: 'eventlake-control',
  EVENTLAKE_ATHENA_WORKGROUP: 'eventlake-wg',
  EVENTLAKE_GLUE_DATABASE: 'eventlake_db',
  EVENTLAKE_LOOKBACK_HOURS: '48',
};

describe('createAwsDeps', () => {
  const s3 = mockClient(S3Client);
  const dynamodb = mockClient(DynamoDBClient);
  const athena = mockClient(AthenaClient);
  const clients = {
    s3: new S3Client({ region: 'eu-west-1' }),
    dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
    athena: new AthenaClient({ region: 'eu-west-1' }),
  };

  beforeEach(() => {
    s3.reset();
    dynamodb.reset();
    athena.reset();
  });

  it('routes each layout prefix to its bucket', () => {
    const { objects } = createAwsDeps(ENV, clients);

    expect(objects.uri('raw/2024/04/07/17/a.gz')).toBe('s3://acme-raw/raw/2024/04/07/17/a.gz');
    expect(objects.uri('curated/events/')).toBe('s3://acme-curated/curated/events/');
    expect(objects.uri('quarantine/batch_id=b1/')).toBe('s3://acme-quarantine/quarantine/batch_id=b1/');
    expect(objects.uri('staging/batches/b1/manifest.json')).toBe(
      's3://acme-staging/staging/batches/b1/manifest.json',
    );
    expect(objects.uri('runs/b1.json')).toBe('s3://acme-staging/runs/b1.json');
  });

  it('uses the injected S3 client', async () => {
    s3.on(PutObjectCommand).resolves({});

    await createAwsDeps(ENV, clients).objects.put('runs/b1.json', '{}');

    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'acme-staging',
      Key: 'runs/b1.json',
      Body: Buffer.from('{}'),
    });
  });

  it('keeps state in the control table through the injected DynamoDB client', async () => {
    dynamodb.on(GetItemCommand).resolves({});

    expect(await createAwsDeps(ENV, clients).state.getCheckpoint('microbatch')).toEqual({ version: 0 });
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input.TableName).toBe('eventlake-control');
  });

  it('runs SQL in the workgroup and Glue database through the injected Athena client', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });

    await createAwsDeps(ENV, clients).sql.run({ name: 'x', text: 'SELECT 1' });

    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: 'SELECT 1',
      QueryExecutionContext: { Database: 'eventlake_db', Catalog: 'AwsDataCatalog' },
      WorkGroup: 'eventlake-wg',
    });
  });

  it('sets the Athena dialect, Glue sources and the config from the environment', async () => {
    const deps = createAwsDeps(ENV, clients);

    expect(deps.dialect).toBe('athena');
    expect(await deps.sources.curatedSource()).toBe('"eventlake_db"."events_all_batches"');
    expect(deps.config).toEqual({
      ...DEFAULT_CONFIG,
      pipelineName: 'microbatch',
      lookbackHours: 48,
      sliceMaxBytes: 8 * 1024 * 1024,
      dedupHorizonDays: 7,
    });
  });

  it('writes progress to stdout with a prefix', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      createAwsDeps(ENV, clients).progress('planned batch b1');

      expect(log).toHaveBeenCalledWith('[eventlake] planned batch b1');
    } finally {
      log.mockRestore();
    }
  });

  it('fails with ConfigError before creating anything when the environment is incomplete', () => {
    expect(() => createAwsDeps({ ...ENV, EVENTLAKE_RAW_BUCKET: undefined }, clients)).toThrow(
      expect.objectContaining({
        name: ErrorNames.Config,
        message: expect.stringContaining('EVENTLAKE_RAW_BUCKET') as unknown,
      }) as Error,
    );
  });
});
