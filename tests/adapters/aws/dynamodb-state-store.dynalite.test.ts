import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { stateItem, stateItemKey, versionsOf } from '../../../src/adapters/aws/dynamodb-items';
import { DynamoDbStateStore } from '../../../src/adapters/aws/dynamodb-state-store';
import { MAX_KEPT_VERSIONS, VERSIONS_BUDGET_BYTES, versionsMapBytes } from '../../../src/adapters/version-fold';
import { FOLDED_BASE_UUID, type StateVersion } from '../../../src/ports/state-store';
import { awsItemBytes, MAX_ITEM_BYTES, startDynalite, type Dynalite } from './dynalite-fixture';
import { stateStoreContract } from '../../ports/state-store.contract';

// One in-process dynalite for the file; each contract test gets its own pair of fresh tables.
let dynamo: Dynalite | undefined;

afterAll(async () => {
  await dynamo?.close();
});

async function freshStore(): Promise<{
  server: Dynalite;
  store: DynamoDbStateStore;
  tables: { stateTable: string; controlTable: string };
}> {
  dynamo ??= await startDynalite();
  const server = dynamo;
  const tables = await server.createTables();
  const store = new DynamoDbStateStore({
    client: server.client,
    ...tables,
    backoff: { baseDelayMs: 5, maxDelayMs: 50 },
  });
  return { server, store, tables };
}

stateStoreContract('DynamoDbStateStore on dynalite', async () => {
  const { server, store, tables } = await freshStore();
  return {
    store,
    cleanup: () => server.deleteTables(tables),
    storedItemBytes: async () =>
      Math.max(0, ...(await server.scanItems(tables.stateTable)).map((item) => awsItemBytes(item))),
  };
});

describe('DynamoDbStateStore items on dynalite', () => {
  const account = 'account#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01';
  let fresh: Awaited<ReturnType<typeof freshStore>>;

  beforeEach(async () => {
    fresh = await freshStore();
  });

  afterEach(async () => {
    await fresh.server.deleteTables(fresh.tables);
  });

  function uuid(i: number): string {
    return `9f1c0a52-2b4e-4a8e-9a57-${String(i).padStart(12, '0')}`;
  }

  it("sizes the versions map exactly as the fixture counts DynamoDB's item size", async () => {
    const versions: StateVersion[] = Array.from({ length: 300 }, (_, i) => ({
      eventUuid: uuid(i),
      createdAt: 1_700_000_000 + i * 3000 + (i % 3) / 7,
      fields: { country: `\u00c9\u20ac${i}`, ...(i % 2 ? { plan: '\ud83d\ude00'.repeat(i % 5) } : {}) },
    }));
    await fresh.store.putVersions(versions.map((version) => ({ entity: account, version })));

    const [item] = await fresh.server.scanItems(fresh.tables.stateTable);

    const stored = versionsOf(item);
    expect(stored.some((v) => v.eventUuid === FOLDED_BASE_UUID && v.foldedSince !== undefined)).toBe(true);
    expect(awsItemBytes({ versions: item?.versions ?? { M: {} } })).toBe(versionsMapBytes(stored));
  });

  it('folds an unbounded item written before revisions on its next write', async () => {
    // What the old store left: 3,000 versions within a day, no `rev`, 250 KB.
    const legacy: StateVersion[] = Array.from({ length: 3000 }, (_, i) => ({
      eventUuid: uuid(i),
      createdAt: 1_700_000_000 + i,
      fields: { subscription_type: 'monthly', subscription_status: 'active' },
    }));
    const item = stateItem(account, legacy, 1);
    delete item.rev;
    await fresh.server.client.send(new PutItemCommand({ TableName: fresh.tables.stateTable, Item: item }));
    expect(awsItemBytes(item)).toBeGreaterThan(VERSIONS_BUDGET_BYTES * 0.8);

    await fresh.store.putVersions([
      { entity: account, version: { eventUuid: uuid(9999), createdAt: 1_700_010_000, fields: {} } },
    ]);

    const [after] = await fresh.server.scanItems(fresh.tables.stateTable);
    expect(after?.rev).toEqual({ N: '1' });
    expect(Object.keys(after?.versions?.M ?? {})).toHaveLength(MAX_KEPT_VERSIONS + 1);
    expect(awsItemBytes(after ?? {})).toBeLessThan(MAX_ITEM_BYTES);
  });

  it('stores a long entity key under its hash', async () => {
    const long = `subscription#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01#${'\u00e9'.repeat(1500)}`;

    await fresh.store.putVersions([
      { entity: long, version: { eventUuid: uuid(1), createdAt: 1, fields: {} } },
    ]);

    expect((await fresh.server.scanItems(fresh.tables.stateTable)).map((item) => item.entity)).toEqual([
      { S: stateItemKey(long) },
    ]);
  });
});
