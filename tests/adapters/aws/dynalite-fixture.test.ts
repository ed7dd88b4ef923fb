import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import {
  MAX_ITEM_BYTES,
  MAX_TRANSACT_ACTIONS,
  MAX_TRANSACT_BYTES,
  awsItemBytes,
  startDynalite,
  type Dynalite,
} from './dynalite-fixture';

// The fake must not be laxer than DynamoDB on the limits the state store relies on.
let dynamo: Dynalite;
let tables: { stateTable: string; controlTable: string };

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  tables = await dynamo.createTables();
});

afterEach(async () => {
  await dynamo.deleteTables(tables);
});

function ledgerPut(sk: string, padding = ''): TransactWriteItem {
  return {
    Put: {
      TableName: tables.controlTable,
      Item: { pk: { S: 'processed#other' }, sk: { S: sk }, ...(padding ? { padding: { S: padding } } : {}) },
    },
  };
}

async function ledgerCount(): Promise<number> {
  return (await dynamo.scanItems(tables.controlTable)).length;
}

describe('awsItemBytes (DynamoDB item sizes and formats)', () => {
  it('counts names and strings in UTF-8 bytes', () => {
    // 'entity' 6 + 'a#é' 4; 'v' 1 + '€€' 6
    expect(awsItemBytes({ entity: { S: 'a#\u00e9' }, v: { S: '\u20ac\u20ac' } })).toBe(17);
  });

  it('counts a map as 3 bytes plus 1 per element plus its elements, a number by its significant digits', () => {
    // 'versions' 8 + map 3 + element 1 + 'e1' 2 + inner map 3 + element 1 + 'createdAt' 9 + number
    // 1712511721.5 has 11 significant digits: 1 + ceil(12 / 2) = 7 bytes.
    expect(awsItemBytes({ versions: { M: { e1: { M: { createdAt: { N: '1712511721.5' } } } } } })).toBe(
      8 + 3 + 1 + 2 + 3 + 1 + 9 + 7,
    );
  });
});

describe('item size limit (400 KB, UTF-8)', () => {
  const key = { entity: { S: 'account#big' } };

  it('refuses a PutItem whose non-ASCII strings pass 400 KB only in UTF-8 bytes', async () => {
    // 210,000 'é' are 210,000 UTF-16 units (what dynalite alone counts) but 420,000 UTF-8 bytes.
    const item = { ...key, blob: { S: '\u00e9'.repeat(210_000) } };

    await expect(
      dynamo.client.send(new PutItemCommand({ TableName: tables.stateTable, Item: item })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(
      (await dynamo.client.send(new GetItemCommand({ TableName: tables.stateTable, Key: key }))).Item,
    ).toBeUndefined();
  });

  it('accepts an item of exactly 400 KB and refuses one byte more', async () => {
    const name = 'blob';
    const fill = (extra: number) => ({
      ...key,
      [name]: { S: 'x'.repeat(MAX_ITEM_BYTES - awsItemBytes(key) - name.length + extra) },
    });
    expect(awsItemBytes(fill(0))).toBe(MAX_ITEM_BYTES);

    await dynamo.client.send(new PutItemCommand({ TableName: tables.stateTable, Item: fill(0) }));
    await expect(
      dynamo.client.send(new PutItemCommand({ TableName: tables.stateTable, Item: fill(1) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses an UpdateItem that would grow the item past 400 KB in UTF-8 bytes', async () => {
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tables.stateTable,
        Item: { ...key, a: { S: '\u00e9'.repeat(120_000) } },
      }),
    );

    await expect(
      dynamo.client.send(
        new UpdateItemCommand({
          TableName: tables.stateTable,
          Key: key,
          UpdateExpression: 'SET b = :b',
          ExpressionAttributeValues: { ':b': { S: '\u00e9'.repeat(120_000) } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('key size limits (UTF-8)', () => {
  // 1,100 'é' are 1,100 UTF-16 units (what dynalite alone counts) but 2,200 UTF-8 bytes.
  const long = '\u00e9'.repeat(1100);

  it('refuses a partition key over 2048 bytes in PutItem, GetItem and BatchGetItem', async () => {
    await expect(
      dynamo.client.send(new PutItemCommand({ TableName: tables.stateTable, Item: { entity: { S: long } } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      dynamo.client.send(new GetItemCommand({ TableName: tables.stateTable, Key: { entity: { S: long } } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      dynamo.client.send(
        new BatchGetItemCommand({
          RequestItems: { [tables.stateTable]: { Keys: [{ entity: { S: long } }] } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses a sort key over 1024 bytes, and accepts one of exactly 1024', async () => {
    await expect(
      dynamo.client.send(
        new PutItemCommand({
          TableName: tables.controlTable,
          Item: { pk: { S: 'p' }, sk: { S: '\u00e9'.repeat(513) } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tables.controlTable,
        Item: { pk: { S: 'p' }, sk: { S: '\u00e9'.repeat(512) } },
      }),
    );
    expect(await ledgerCount()).toBe(1);
  });
});

describe('TransactWriteItems limits', () => {
  it(`accepts ${MAX_TRANSACT_ACTIONS} actions`, async () => {
    const actions = Array.from({ length: MAX_TRANSACT_ACTIONS }, (_, i) => ledgerPut(`raw/${i}`));

    await dynamo.client.send(new TransactWriteItemsCommand({ TransactItems: actions }));

    expect(await ledgerCount()).toBe(MAX_TRANSACT_ACTIONS);
  });

  it(`refuses ${MAX_TRANSACT_ACTIONS + 1} actions with ValidationException, writing nothing`, async () => {
    const actions = Array.from({ length: MAX_TRANSACT_ACTIONS + 1 }, (_, i) => ledgerPut(`raw/${i}`));

    await expect(
      dynamo.client.send(new TransactWriteItemsCommand({ TransactItems: actions })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await ledgerCount()).toBe(0);
  });

  it('refuses items of more than 4 MB together with ValidationException, writing nothing', async () => {
    // 11 items of 390 KB: each under the item limit, 4.19 MB together.
    const padding = 'p'.repeat(390 * 1024);
    const actions = Array.from({ length: 11 }, (_, i) => ledgerPut(`raw/${i}`, padding));
    const aggregate = actions.reduce(
      (sum, action) => sum + awsItemBytes(action.Put?.Item as Record<string, AttributeValue>),
      0,
    );
    expect(aggregate).toBeGreaterThan(MAX_TRANSACT_BYTES);

    await expect(
      dynamo.client.send(new TransactWriteItemsCommand({ TransactItems: actions })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await ledgerCount()).toBe(0);
  });

  it('refuses two actions on one item with ValidationException', async () => {
    await expect(
      dynamo.client.send(
        new TransactWriteItemsCommand({ TransactItems: [ledgerPut('raw/a'), ledgerPut('raw/a')] }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await ledgerCount()).toBe(0);
  });

  it('cancels a transaction holding an item over 400 KB, writing nothing', async () => {
    const actions = [ledgerPut('raw/small'), ledgerPut('raw/big', '\u00e9'.repeat(210_000))];

    await expect(
      dynamo.client.send(new TransactWriteItemsCommand({ TransactItems: actions })),
    ).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError' }],
    });
    expect(await ledgerCount()).toBe(0);
  });
});
