import type { AddressInfo } from 'node:net';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  type AttributeValue,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { Server } from 'node:http';

/**
 * An in-process DynamoDB API (dynalite, in memory, on 127.0.0.1 and a free port) for contract runs.
 *
 * dynalite 4 does not implement transactions (TransactWriteItems answers UnknownOperationException), so
 * the client gets a middleware that carries out a TransactWriteItems of Puts itself: the one conditional
 * Put first, as a real conditional PutItem on dynalite (its condition evaluated by dynalite), then, only
 * if that succeeded, the unconditional Puts. With at most one conditional action this is all-or-nothing
 * for conditions, which is what the state store's transactions need; more than one conditional action,
 * or any action but Put, is refused rather than emulated wrongly. Atomicity against concurrent readers is
 * NOT emulated: the real-DynamoDB guarantee for that is the transaction itself.
 */
export interface Dynalite {
  readonly client: DynamoDBClient;
  /** Creates the user-state and control tables under fresh names. */
  createTables(): Promise<{ stateTable: string; controlTable: string }>;
  deleteTables(tables: { stateTable: string; controlTable: string }): Promise<void>;
  close(): Promise<void>;
}

let tableCount = 0;

export async function startDynalite(): Promise<Dynalite> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
    maxAttempts: 1,
  });
  addTransactWriteShim(client);

  return {
    client,
    async createTables() {
      tableCount += 1;
      const stateTable = `eventlake-state-${tableCount}`;
      const controlTable = `eventlake-control-${tableCount}`;
      await client.send(
        new CreateTableCommand({
          TableName: stateTable,
          AttributeDefinitions: [{ AttributeName: 'entity', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'entity', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await client.send(
        new CreateTableCommand({
          TableName: controlTable,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return { stateTable, controlTable };
    },
    async deleteTables({ stateTable, controlTable }) {
      await client.send(new DeleteTableCommand({ TableName: stateTable }));
      await client.send(new DeleteTableCommand({ TableName: controlTable }));
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function addTransactWriteShim(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      await transactWrite(client, args.input as TransactWriteItemsCommandInput);
      return { output: { $metadata: {} } as never, response: {} };
    },
    { step: 'initialize', name: 'dynaliteTransactWriteShim' },
  );
}

async function transactWrite(client: DynamoDBClient, input: TransactWriteItemsCommandInput): Promise<void> {
  const actions = input.TransactItems ?? [];
  const puts = actions.map((action, i) => {
    if (action.Put === undefined || Object.keys(action).length !== 1) {
      throw new Error(`dynalite transaction shim: action ${i} is not a Put; only Puts are emulated`);
    }
    return action.Put;
  });
  const identities = puts.map((put) => `${put.TableName}|${identity(put.Item ?? {})}`);
  if (new Set(identities).size !== identities.length) {
    // What DynamoDB answers for two actions on one item.
    throw new Error(
      'ValidationException: Transaction request cannot include multiple operations on one item',
    );
  }
  const conditional = puts.flatMap((put, i) => (put.ConditionExpression !== undefined ? [i] : []));
  if (conditional.length > 1)
    throw new Error('dynalite transaction shim: at most one conditional Put is emulated');
  for (const i of conditional) {
    try {
      await client.send(new PutItemCommand(puts[i] as NonNullable<(typeof puts)[number]>));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const codes = puts.map((_put, j) => (j === i ? 'ConditionalCheckFailed' : 'None'));
      throw new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    }
  }
  const unconditional = puts.filter((_put, i) => !conditional.includes(i));
  await Promise.all(unconditional.map((put) => client.send(new PutItemCommand(put))));
}

function identity(item: Record<string, AttributeValue>): string {
  return ['entity', 'pk', 'sk'].map((name) => item[name]?.S ?? '').join('|');
}
