import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ScanCommand,
  ThrottlingException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type BatchWriteItemCommandInput,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { stateItemKey } from '../../../src/adapters/aws/dynamodb-items';
import { DynamoDbStateStore } from '../../../src/adapters/aws/dynamodb-state-store';
import { ErrorNames } from '../../../src/errors';
import { FOLDED_BASE_UUID } from '../../../src/ports/state-store';

const STATE = 'eventlake-state';
const CONTROL = 'eventlake-control';
const T0 = Date.parse('2024-04-07T17:00:00Z');
const ACCOUNT = 'account#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01';

const ddb = mockClient(DynamoDBClient);

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

function versionItem(createdAt: string, fields: Record<string, string>): AttributeValue {
  return {
    M: {
      createdAt: { N: createdAt },
      fields: { M: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { S: v }])) },
    },
  };
}

describe('DynamoDbStateStore', () => {
  let store: DynamoDbStateStore;

  beforeEach(() => {
    ddb.reset();
    store = new DynamoDbStateStore({
      client: new DynamoDBClient({ region: 'eu-west-1' }),
      stateTable: STATE,
      controlTable: CONTROL,
      backoff: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    });
  });

  describe('putVersions', () => {
    const e1 = { eventUuid: 'e1', createdAt: 1712511721.022075, fields: { country: 'FR' } };
    const e2 = { eventUuid: 'e2', createdAt: 1712511722, fields: {} };

    function stored(rev: number | undefined, versions: Record<string, AttributeValue>) {
      return {
        Item: {
          entity: { S: ACCOUNT },
          versions: { M: versions },
          ...(rev === undefined ? {} : { rev: { N: String(rev) } }),
        },
      };
    }

    it('creates a new entity item with one PutItem conditional on its absence', async () => {
      // Prepare
      ddb.on(GetItemCommand).resolves({}).on(PutItemCommand).resolves({});

      // Act
      await store.putVersions([
        { entity: ACCOUNT, version: e1 },
        { entity: ACCOUNT, version: e2 },
      ]);

      // Assess
      expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
        TableName: STATE,
        Key: { entity: { S: ACCOUNT } },
        ConsistentRead: true,
      });
      const puts = ddb.commandCalls(PutItemCommand);
      expect(puts).toHaveLength(1);
      expect(puts[0]?.args[0].input).toEqual({
        TableName: STATE,
        Item: {
          entity: { S: ACCOUNT },
          versions: {
            M: { e1: versionItem('1712511721.022075', { country: 'FR' }), e2: versionItem('1712511722', {}) },
          },
          rev: { N: '1' },
        },
        ConditionExpression: 'attribute_not_exists(#entity)',
        ExpressionAttributeNames: { '#entity': 'entity' },
      });
    });

    it('adds to an existing item conditional on the revision read, keeping the first of a reused uuid', async () => {
      // Prepare
      ddb
        .on(GetItemCommand)
        .resolves(stored(3, { e1: versionItem('1712511700', { country: 'DE' }) }))
        .on(PutItemCommand)
        .resolves({});

      // Act
      await store.putVersions([
        { entity: ACCOUNT, version: e1 },
        { entity: ACCOUNT, version: e2 },
      ]);

      // Assess
      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
        TableName: STATE,
        Item: {
          entity: { S: ACCOUNT },
          versions: {
            M: { e1: versionItem('1712511700', { country: 'DE' }), e2: versionItem('1712511722', {}) },
          },
          rev: { N: '4' },
        },
        ConditionExpression: '#rev = :rev',
        ExpressionAttributeNames: { '#rev': 'rev' },
        ExpressionAttributeValues: { ':rev': { N: '3' } },
      });
    });

    it('takes over an item written before revisions, conditional on it still having none', async () => {
      ddb
        .on(GetItemCommand)
        .resolves(stored(undefined, { e1: versionItem('1712511700', {}) }))
        .on(PutItemCommand)
        .resolves({});

      await store.putVersions([{ entity: ACCOUNT, version: e2 }]);

      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
        Item: { rev: { N: '1' } },
        ConditionExpression: 'attribute_exists(#entity) AND attribute_not_exists(#rev)',
        ExpressionAttributeNames: { '#entity': 'entity', '#rev': 'rev' },
      });
    });

    it('writes nothing when every version is there already', async () => {
      ddb.on(GetItemCommand).resolves(stored(2, { e1: versionItem('1712511700', { country: 'DE' }) }));

      await store.putVersions([{ entity: ACCOUNT, version: e1 }]);

      expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('reads again and re-applies its versions when another writer landed in between', async () => {
      // Prepare: the first write loses to a writer that added e9.
      ddb
        .on(GetItemCommand)
        .resolvesOnce(stored(1, {}))
        .resolves(stored(2, { e9: versionItem('1712511600', { country: 'ES' }) }));
      ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});

      // Act
      await store.putVersions([{ entity: ACCOUNT, version: e1 }]);

      // Assess
      const puts = ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
      expect(puts).toHaveLength(2);
      expect(puts[1]).toMatchObject({
        Item: {
          versions: {
            M: {
              e9: versionItem('1712511600', { country: 'ES' }),
              e1: versionItem('1712511721.022075', { country: 'FR' }),
            },
          },
          rev: { N: '3' },
        },
        ExpressionAttributeValues: { ':rev': { N: '2' } },
      });
    });

    it('throws TransientError after 8 rounds lost to other writers', async () => {
      ddb.on(GetItemCommand).resolves(stored(1, {})).on(PutItemCommand).rejects(conditionFailed());

      await expect(store.putVersions([{ entity: ACCOUNT, version: e1 }])).rejects.toMatchObject({
        name: ErrorNames.Transient,
        message: expect.stringContaining('kept changing under 8 write rounds') as unknown,
      });
      expect(ddb.commandCalls(PutItemCommand)).toHaveLength(8);
    });

    it('writes one item per entity, however many versions', async () => {
      // Prepare
      ddb.on(GetItemCommand).resolves({}).on(PutItemCommand).resolves({});
      const subscription = 'subscription#u1#en';

      // Act
      await store.putVersions([
        ...Array.from({ length: 120 }, (_, i) => ({
          entity: ACCOUNT,
          version: { eventUuid: `e${i}`, createdAt: 1712511700 + i, fields: {} },
        })),
        {
          entity: subscription,
          version: { eventUuid: 's1', createdAt: 1, fields: { subscription_type: 'monthly' } },
        },
      ]);

      // Assess
      const items = ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item);
      expect(items.map((item) => item?.entity?.S).sort()).toEqual([ACCOUNT, subscription]);
      expect(Object.keys(items.find((item) => item?.entity?.S === ACCOUNT)?.versions?.M ?? {})).toHaveLength(
        120,
      );
    });

    it('folds versions past the horizon into the base as it writes', async () => {
      ddb.on(GetItemCommand).resolves({}).on(PutItemCommand).resolves({});
      const day = 86_400;

      await store.putVersions([
        {
          entity: ACCOUNT,
          version: { eventUuid: 'old', createdAt: 1_700_000_000, fields: { country: 'FR' } },
        },
        { entity: ACCOUNT, version: { eventUuid: 'new', createdAt: 1_700_000_000 + 8 * day, fields: {} } },
      ]);

      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.versions).toEqual({
        M: {
          [FOLDED_BASE_UUID]: versionItem('1700000000', { country: 'FR' }),
          new: versionItem(String(1_700_000_000 + 8 * day), {}),
        },
      });
    });

    it('keeps an entity key longer than a partition key may be under its hash, and reads it back', async () => {
      // Prepare
      const long = `subscription#u1#${'x'.repeat(3000)}`;
      const hashed = stateItemKey(long);
      ddb.on(GetItemCommand).resolves({}).on(PutItemCommand).resolves({});
      ddb.on(BatchGetItemCommand).resolves({
        Responses: { [STATE]: [{ entity: { S: hashed }, versions: { M: { e1: versionItem('1', {}) } } }] },
      });

      // Act
      await store.putVersions([{ entity: long, version: { eventUuid: 'e1', createdAt: 1, fields: {} } }]);
      const found = await store.getVersions([long]);

      // Assess
      expect(hashed).toMatch(/^~sha256:[0-9a-f]{64}$/);
      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.entity).toEqual({ S: hashed });
      expect(ddb.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.[STATE]?.Keys).toEqual([
        { entity: { S: hashed } },
      ]);
      expect(found).toEqual(new Map([[long, [{ eventUuid: 'e1', createdAt: 1, fields: {} }]]]));
    });

    it('maps a throttled read to TransientError with the SDK error as cause', async () => {
      const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      ddb.on(GetItemCommand).rejects(throttled);

      await expect(store.putVersions([{ entity: ACCOUNT, version: e1 }])).rejects.toMatchObject({
        name: ErrorNames.Transient,
        cause: throttled,
      });
    });

    it('rejects a version whose fields are not strings before writing anything', async () => {
      await expect(
        store.putVersions([
          {
            entity: ACCOUNT,
            version: { eventUuid: 'e1', createdAt: 1, fields: { n: 7 } as unknown as Record<string, string> },
          },
        ]),
      ).rejects.toMatchObject({
        name: ErrorNames.InvalidInput,
        message: expect.stringContaining('writes[0]') as unknown,
      });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('rejects the reserved base uuid before writing anything', async () => {
      await expect(
        store.putVersions([
          { entity: ACCOUNT, version: { eventUuid: FOLDED_BASE_UUID, createdAt: 1, fields: {} } },
        ]),
      ).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
      expect(ddb.calls()).toHaveLength(0);
    });
  });

  describe('getVersions', () => {
    it('batch-gets entities with strongly consistent reads and maps their versions', async () => {
      // Prepare
      ddb.on(BatchGetItemCommand).resolves({
        Responses: {
          [STATE]: [
            {
              entity: { S: ACCOUNT },
              versions: { M: { e1: versionItem('1712511721.022075', { country: 'FR' }) } },
            },
          ],
        },
      });

      // Act
      const found = await store.getVersions([ACCOUNT, 'account#nobody', ACCOUNT]);

      // Assess
      expect(found).toEqual(
        new Map([[ACCOUNT, [{ eventUuid: 'e1', createdAt: 1712511721.022075, fields: { country: 'FR' } }]]]),
      );
      expect(ddb.commandCalls(BatchGetItemCommand)[0]?.args[0].input).toEqual({
        RequestItems: {
          [STATE]: {
            Keys: [{ entity: { S: ACCOUNT } }, { entity: { S: 'account#nobody' } }],
            ConsistentRead: true,
            ProjectionExpression: '#entity, #versions',
            ExpressionAttributeNames: { '#entity': 'entity', '#versions': 'versions' },
          },
        },
      });
    });

    it('asks in chunks of at most 100 keys', async () => {
      ddb.on(BatchGetItemCommand).resolves({ Responses: { [STATE]: [] } });

      await store.getVersions(Array.from({ length: 150 }, (_, i) => `account#u${i}`));

      expect(
        ddb
          .commandCalls(BatchGetItemCommand)
          .map((call) => call.args[0].input.RequestItems?.[STATE]?.Keys?.length),
      ).toEqual([100, 50]);
    });

    it('asks again for UnprocessedKeys only, then merges the answers', async () => {
      // Prepare
      const other = 'account#other';
      ddb
        .on(BatchGetItemCommand)
        .resolvesOnce({
          Responses: { [STATE]: [{ entity: { S: ACCOUNT }, versions: { M: { e1: versionItem('1', {}) } } }] },
          UnprocessedKeys: { [STATE]: { Keys: [{ entity: { S: other } }] } },
        })
        .resolvesOnce({
          Responses: { [STATE]: [{ entity: { S: other }, versions: { M: { e2: versionItem('2', {}) } } }] },
        });

      // Act
      const found = await store.getVersions([ACCOUNT, other]);

      // Assess
      expect([...found.keys()].sort()).toEqual([ACCOUNT, other].sort());
      const calls = ddb.commandCalls(BatchGetItemCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.args[0].input).toEqual({
        RequestItems: {
          [STATE]: {
            Keys: [{ entity: { S: other } }],
            ConsistentRead: true,
            ProjectionExpression: '#entity, #versions',
            ExpressionAttributeNames: { '#entity': 'entity', '#versions': 'versions' },
          },
        },
      });
    });

    it('throws TransientError naming how many keys are left when UnprocessedKeys never clear', async () => {
      // Prepare
      ddb.on(BatchGetItemCommand).resolves({
        Responses: { [STATE]: [] },
        UnprocessedKeys: { [STATE]: { Keys: [{ entity: { S: ACCOUNT } }, { entity: { S: 'account#b' } }] } },
      });

      // Act
      const failure = store.getVersions([ACCOUNT, 'account#b']);

      // Assess
      await expect(failure).rejects.toMatchObject({
        name: ErrorNames.Transient,
        message: expect.stringContaining('left 2 of 2 keys unprocessed after 3 attempts') as unknown,
      });
      expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(3);
    });

    it.each([
      [
        'ProvisionedThroughputExceededException',
        new ProvisionedThroughputExceededException({ message: 'x', $metadata: {} }),
      ],
      ['ThrottlingException', new ThrottlingException({ message: 'x', $metadata: {} })],
      [
        'RequestLimitExceeded',
        new DynamoDBServiceException({
          name: 'RequestLimitExceeded',
          $fault: 'client',
          message: 'x',
          $metadata: {},
        }),
      ],
    ])('maps %s to TransientError', async (_name, error) => {
      ddb.on(BatchGetItemCommand).rejects(error);

      await expect(store.getVersions([ACCOUNT])).rejects.toMatchObject({
        name: ErrorNames.Transient,
        cause: error,
      });
    });
  });

  describe('lease', () => {
    const leaseInput = {
      TableName: CONTROL,
      Item: {
        pk: { S: 'lease#scheduled' },
        sk: { S: 'lease' },
        owner: { S: 'exec-a' },
        acquiredAtMs: { N: String(T0) },
        expiresAtMs: { N: String(T0 + 60_000) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #expiresAtMs <= :now OR #owner = :owner',
      ExpressionAttributeNames: { '#expiresAtMs': 'expiresAtMs', '#owner': 'owner' },
      ExpressionAttributeValues: { ':now': { N: String(T0) }, ':owner': { S: 'exec-a' } },
    };

    it('is taken with one conditional PutItem', async () => {
      ddb.on(PutItemCommand).resolves({});

      const result = await store.acquireLease({
        name: 'scheduled',
        owner: 'exec-a',
        nowMs: T0,
        ttlMs: 60_000,
      });

      expect(result).toEqual({ acquired: true, holder: 'exec-a', expiresAtMs: T0 + 60_000 });
      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual(leaseInput);
    });

    it('reports the holder and expiry when the condition fails', async () => {
      // Prepare
      ddb.on(PutItemCommand).rejects(conditionFailed());
      ddb.on(GetItemCommand).resolves({
        Item: {
          pk: { S: 'lease#scheduled' },
          sk: { S: 'lease' },
          owner: { S: 'exec-b' },
          expiresAtMs: { N: String(T0 + 5) },
        },
      });

      // Act
      const result = await store.acquireLease({
        name: 'scheduled',
        owner: 'exec-a',
        nowMs: T0,
        ttlMs: 60_000,
      });

      // Assess
      expect(result).toEqual({ acquired: false, holder: 'exec-b', expiresAtMs: T0 + 5 });
      expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
        TableName: CONTROL,
        Key: { pk: { S: 'lease#scheduled' }, sk: { S: 'lease' } },
        ConsistentRead: true,
      });
    });

    it('asks again when the lease was released between the failed put and the read', async () => {
      ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
      ddb.on(GetItemCommand).resolves({});

      const result = await store.acquireLease({
        name: 'scheduled',
        owner: 'exec-a',
        nowMs: T0,
        ttlMs: 60_000,
      });

      expect(result.acquired).toBe(true);
      expect(ddb.commandCalls(PutItemCommand)).toHaveLength(2);
    });

    it('is released with a DeleteItem conditional on the owner', async () => {
      ddb.on(DeleteItemCommand).resolves({});

      expect(await store.releaseLease('scheduled', 'exec-a')).toBe(true);
      expect(ddb.commandCalls(DeleteItemCommand)[0]?.args[0].input).toEqual({
        TableName: CONTROL,
        Key: { pk: { S: 'lease#scheduled' }, sk: { S: 'lease' } },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: 'exec-a' } },
      });
    });

    it('answers false to a release whose owner condition fails', async () => {
      ddb.on(DeleteItemCommand).rejects(conditionFailed());

      expect(await store.releaseLease('scheduled', 'exec-b')).toBe(false);
    });
  });

  describe('checkpoint', () => {
    const pending = { batchId: 'b1', manifestKey: 'staging/batches/b1/manifest.json' };

    it('reads the checkpoint item consistently and maps every field', async () => {
      // Prepare
      ddb.on(GetItemCommand).resolves({
        Item: {
          pk: { S: 'checkpoint#scheduled' },
          sk: { S: 'checkpoint' },
          version: { N: '4' },
          pendingBatchId: { S: 'b1' },
          pendingManifestKey: { S: pending.manifestKey },
          lastBatchId: { S: 'b0' },
          committedAt: { S: '2024-04-07T16:05:00.000Z' },
        },
      });

      // Act
      const checkpoint = await store.getCheckpoint('scheduled');

      // Assess
      expect(checkpoint).toEqual({
        version: 4,
        pending,
        lastBatchId: 'b0',
        committedAt: '2024-04-07T16:05:00.000Z',
      });
      expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
        TableName: CONTROL,
        Key: { pk: { S: 'checkpoint#scheduled' }, sk: { S: 'checkpoint' } },
        ConsistentRead: true,
      });
    });

    it('writes a first checkpoint and its ledger entries in one transaction', async () => {
      // Prepare
      ddb.on(TransactWriteItemsCommand).resolves({});

      // Act
      const written = await store.putCheckpoint({
        name: 'scheduled',
        expectedVersion: 0,
        pending,
        processedKeys: ['raw/2024/04/07/17/a.gz', 'raw/odd-key', 'raw/2024/04/07/17/a.gz'],
      });

      // Assess
      expect(written).toEqual({ version: 1, pending });
      expect(ddb.commandCalls(TransactWriteItemsCommand)[0]?.args[0].input).toEqual({
        ClientRequestToken: expect.any(String) as string,
        TransactItems: [
          {
            Put: {
              TableName: CONTROL,
              Item: {
                pk: { S: 'checkpoint#scheduled' },
                sk: { S: 'checkpoint' },
                version: { N: '1' },
                pendingBatchId: { S: 'b1' },
                pendingManifestKey: { S: pending.manifestKey },
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: CONTROL,
              Item: {
                pk: { S: 'processed#2024/04/07/17' },
                sk: { S: 'raw/2024/04/07/17/a.gz' },
                checkpoint: { S: 'scheduled' },
              },
            },
          },
          {
            Put: {
              TableName: CONTROL,
              Item: {
                pk: { S: 'processed#other' },
                sk: { S: 'raw/odd-key' },
                checkpoint: { S: 'scheduled' },
              },
            },
          },
        ],
      } satisfies TransactWriteItemsCommandInput);
    });

    it('compares and sets on the stored version after the first write', async () => {
      ddb.on(TransactWriteItemsCommand).resolves({});

      await store.putCheckpoint({
        name: 'scheduled',
        expectedVersion: 3,
        lastBatchId: 'b1',
        committedAt: '2024-04-07T17:05:00.000Z',
      });

      expect(ddb.commandCalls(TransactWriteItemsCommand)[0]?.args[0].input.TransactItems).toEqual([
        {
          Put: {
            TableName: CONTROL,
            Item: {
              pk: { S: 'checkpoint#scheduled' },
              sk: { S: 'checkpoint' },
              version: { N: '4' },
              lastBatchId: { S: 'b1' },
              committedAt: { S: '2024-04-07T17:05:00.000Z' },
            },
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: '3' } },
          },
        },
      ]);
    });

    it('maps a cancelled transaction with ConditionalCheckFailed to CheckpointConflictError naming the versions', async () => {
      // Prepare
      ddb.on(TransactWriteItemsCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
      ddb.on(GetItemCommand).resolves({
        Item: { pk: { S: 'checkpoint#scheduled' }, sk: { S: 'checkpoint' }, version: { N: '5' } },
      });

      // Act
      const failure = store.putCheckpoint({
        name: 'scheduled',
        expectedVersion: 3,
        processedKeys: ['raw/a'],
      });

      // Assess
      await expect(failure).rejects.toMatchObject({
        name: ErrorNames.CheckpointConflict,
        message: 'checkpoint "scheduled" is at version 5, expected 3: another run committed first',
      });
    });

    it('maps a transaction cancelled for contention to TransientError', async () => {
      ddb.on(TransactWriteItemsCommand).rejects(cancelled('None', 'TransactionConflict'));

      await expect(
        store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: ['raw/a'] }),
      ).rejects.toMatchObject({
        name: ErrorNames.Transient,
      });
    });

    it('writes more than 99 ledger entries first, in BatchWriteItems of 25, then the checkpoint alone', async () => {
      // Prepare
      ddb.on(BatchWriteItemCommand).resolves({}).on(TransactWriteItemsCommand).resolves({});
      const keys = Array.from(
        { length: 120 },
        (_, i) => `raw/2024/04/07/${String(i % 24).padStart(2, '0')}/p-${i}.gz`,
      );

      // Act
      await store.putCheckpoint({
        name: 'scheduled',
        expectedVersion: 2,
        lastBatchId: 'b2',
        processedKeys: keys,
      });

      // Assess
      const order = ddb.calls().map((call) => call.args[0].constructor.name);
      expect(order).toEqual([...Array<string>(5).fill('BatchWriteItemCommand'), 'TransactWriteItemsCommand']);
      const batches = ddb.commandCalls(BatchWriteItemCommand).map((call) => call.args[0].input);
      expect(batches[0]).toEqual({
        RequestItems: {
          [CONTROL]: keys.slice(0, 25).map((key) => ({
            PutRequest: {
              Item: {
                pk: { S: `processed#2024/04/07/${key.slice(15, 17)}` },
                sk: { S: key },
                checkpoint: { S: 'scheduled' },
              },
            },
          })),
        },
      } satisfies BatchWriteItemCommandInput);
      const written = batches.flatMap(
        (input) => input.RequestItems?.[CONTROL]?.map((r) => r.PutRequest?.Item?.sk?.S) ?? [],
      );
      expect(written.sort()).toEqual([...keys].sort());
      expect(ddb.commandCalls(TransactWriteItemsCommand)[0]?.args[0].input.TransactItems).toHaveLength(1);
    });

    it('writes UnprocessedItems again, then goes on', async () => {
      // Prepare
      const keys = Array.from({ length: 100 }, (_, i) => `raw/k${i}`);
      const leftOver = {
        PutRequest: {
          Item: { pk: { S: 'processed#other' }, sk: { S: 'raw/k0' }, checkpoint: { S: 'scheduled' } },
        },
      };
      ddb
        .on(BatchWriteItemCommand)
        .resolvesOnce({ UnprocessedItems: { [CONTROL]: [leftOver] } })
        .resolves({});
      ddb.on(TransactWriteItemsCommand).resolves({});

      // Act
      await store.putCheckpoint({ name: 'scheduled', expectedVersion: 0, processedKeys: keys });

      // Assess
      const batches = ddb.commandCalls(BatchWriteItemCommand);
      expect(batches).toHaveLength(5);
      expect(batches.map((call) => call.args[0].input)).toContainEqual({
        RequestItems: { [CONTROL]: [leftOver] },
      });
      expect(ddb.commandCalls(TransactWriteItemsCommand)).toHaveLength(1);
    });

    it('throws TransientError and never writes the checkpoint when UnprocessedItems never clear', async () => {
      // Prepare
      const leftOver = { PutRequest: { Item: { pk: { S: 'processed#other' }, sk: { S: 'raw/k0' } } } };
      ddb.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { [CONTROL]: [leftOver] } });

      // Act
      const failure = store.putCheckpoint({
        name: 'scheduled',
        expectedVersion: 0,
        processedKeys: Array.from({ length: 100 }, (_, i) => `raw/k${i}`),
      });

      // Assess
      await expect(failure).rejects.toMatchObject({
        name: ErrorNames.Transient,
        message: expect.stringContaining('left 1 of 25 items unprocessed after 3 attempts') as unknown,
      });
      expect(ddb.commandCalls(TransactWriteItemsCommand)).toHaveLength(0);
    });
  });

  describe('filterProcessed', () => {
    it('batch-gets the ledger entries of the keys, in their hour partitions', async () => {
      // Prepare
      ddb
        .on(BatchGetItemCommand)
        .resolves({ Responses: { [CONTROL]: [{ sk: { S: 'raw/2024/04/07/17/a.gz' } }] } });

      // Act
      const processed = await store.filterProcessed([
        'raw/2024/04/07/17/a.gz',
        'raw/2024/04/07/18/b.gz',
        'raw/x',
      ]);

      // Assess
      expect(processed).toEqual(new Set(['raw/2024/04/07/17/a.gz']));
      expect(ddb.commandCalls(BatchGetItemCommand)[0]?.args[0].input).toEqual({
        RequestItems: {
          [CONTROL]: {
            Keys: [
              { pk: { S: 'processed#2024/04/07/17' }, sk: { S: 'raw/2024/04/07/17/a.gz' } },
              { pk: { S: 'processed#2024/04/07/18' }, sk: { S: 'raw/2024/04/07/18/b.gz' } },
              { pk: { S: 'processed#other' }, sk: { S: 'raw/x' } },
            ],
            ConsistentRead: true,
            ProjectionExpression: '#sk',
            ExpressionAttributeNames: { '#sk': 'sk' },
          },
        },
      });
    });

    it('answers an empty set without calling DynamoDB for no keys', async () => {
      expect(await store.filterProcessed([])).toEqual(new Set());
      expect(ddb.calls()).toHaveLength(0);
    });
  });

  it('refuses table names DynamoDB would refuse', () => {
    expect(
      () =>
        new DynamoDbStateStore({ client: new DynamoDBClient({}), stateTable: 'ab', controlTable: CONTROL }),
    ).toThrow(/stateTable is not a DynamoDB table name/);
  });
  describe('deleteUser', () => {
    const USER = '9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01';
    let store: DynamoDbStateStore;

    beforeEach(() => {
      ddb.reset();
      store = new DynamoDbStateStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), stateTable: STATE, controlTable: CONTROL, backoff: { baseDelayMs: 1, maxDelayMs: 2 } });
    });

    it('scans every page of keys strongly consistently, then deletes what matched in batch writes, retrying UnprocessedItems', async () => {
      ddb
        .on(ScanCommand)
        .resolvesOnce({ Items: [{ entity: { S: `account#${USER}` } }], LastEvaluatedKey: { entity: { S: 'k1' } } })
        .resolvesOnce({ Items: [{ entity: { S: `subscription#${USER}#en` } }] });
      const leftOver = { DeleteRequest: { Key: { entity: { S: `subscription#${USER}#en` } } } };
      ddb.on(BatchWriteItemCommand).resolvesOnce({ UnprocessedItems: { [STATE]: [leftOver] } }).resolves({});

      expect(await store.deleteUser(USER)).toBe(2);

      const scans = ddb.commandCalls(ScanCommand).map((call) => call.args[0].input);
      expect(scans).toHaveLength(2);
      expect(scans[0]).toMatchObject({ TableName: STATE, ConsistentRead: true, ProjectionExpression: '#entity' });
      expect(scans[0]?.ExclusiveStartKey).toBeUndefined();
      expect(scans[1]?.ExclusiveStartKey).toEqual({ entity: { S: 'k1' } });
      expect(scans[0]?.ExpressionAttributeValues).toEqual({
        ':account': { S: `account#${USER}` },
        ':subscriptions': { S: `subscription#${USER}#` },
      });
      // Only the state table's: an earlier test's ledger writes may still be retrying in the background.
      const writes = ddb
        .commandCalls(BatchWriteItemCommand)
        .map((call) => call.args[0].input)
        .filter((input) => input.RequestItems?.[STATE] !== undefined);
      expect(writes).toHaveLength(2);
      expect(writes[0]?.RequestItems?.[STATE]).toEqual([
        { DeleteRequest: { Key: { entity: { S: `account#${USER}` } } } },
        leftOver,
      ]);
      expect(writes[1]?.RequestItems?.[STATE]).toEqual([leftOver]);
    });

    it('sends no write when nothing matched', async () => {
      ddb.on(ScanCommand).resolves({ Items: [] });

      expect(await store.deleteUser(USER)).toBe(0);
      expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
    });
  });
});
