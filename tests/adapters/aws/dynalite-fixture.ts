import type { AddressInfo } from 'node:net';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  PutItemCommand,
  ScanCommand,
  TransactionCanceledException,
  type AttributeValue,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import dynaliteDb from 'dynalite/db';
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
 * NOT emulated: the real-DynamoDB guarantee for that is the transaction itself. The emulation enforces
 * the documented TransactWriteItems limits before writing anything (see `transactWrite`).
 *
 * Item size: dynalite 4 does refuse items over 400 KB (PutItem, UpdateItem, BatchWriteItem), but it
 * counts strings and attribute names in UTF-16 code units, not UTF-8 bytes, so a non-ASCII item of up to
 * three times the limit passes. The fixture replaces dynalite's size function with `awsItemBytes`, which
 * counts as DynamoDB does, so the fake is not laxer than AWS. Key sizes likewise: dynalite checks the
 * 2048-byte partition key and 1024-byte sort key limits in UTF-16 units; the fixture checks them in UTF-8
 * bytes first (`addKeySizeCheck`).
 */
export interface Dynalite {
  readonly client: DynamoDBClient;
  /** Creates the user-state and control tables under fresh names. */
  createTables(): Promise<{ stateTable: string; controlTable: string }>;
  deleteTables(tables: { stateTable: string; controlTable: string }): Promise<void>;
  /** Every item of `table` (a Scan, all pages). */
  scanItems(table: string): Promise<Record<string, AttributeValue>[]>;
  close(): Promise<void>;
}

/**
 * "Item size: The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary
 * length (UTF-8 length) and attribute value lengths (again binary length)."
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
 */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * TransactWriteItems "groups up to 100 action requests" and "the aggregate size of the items in the
 * transaction cannot exceed 4 MB" (TransactItems: "Array Members: Minimum number of 1 item. Maximum number
 * of 100 items."). https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export const MAX_TRANSACT_ACTIONS = 100;
export const MAX_TRANSACT_BYTES = 4 * 1024 * 1024;

/**
 * "Partition key value: The minimum length of a partition key value is 1 byte. The maximum length is 2048
 * bytes." "Sort key value: ... The maximum length is 1024 bytes." (UTF-8 bytes for strings)
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys
 */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;
/** The key attributes of the fixture's tables: `entity` and `pk` are partition keys, `sk` a sort key. */
const KEY_LIMITS: Readonly<Record<string, number>> = {
  entity: MAX_PARTITION_KEY_BYTES,
  pk: MAX_PARTITION_KEY_BYTES,
  sk: MAX_SORT_KEY_BYTES,
};

let tableCount = 0;

// dynalite's PutItem/UpdateItem/BatchWriteItem checks call `db.itemSize` through the module's exports.
dynaliteDb.itemSize = (item) => awsItemBytes(item);

export async function startDynalite(): Promise<Dynalite> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Node's server closes a keep-alive connection after 5 s idle; a client that reuses it at that moment gets
  // ECONNRESET (maxAttempts 1: no retry). Idle connections stay open until the client destroys them.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
    maxAttempts: 1,
  });
  addKeySizeCheck(client);
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
    async scanItems(table) {
      const items: Record<string, AttributeValue>[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return items;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/**
 * An item's size as DynamoDB counts it against the 400 KB limit, from "DynamoDB item sizes and formats"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * each attribute is its name's UTF-8 bytes plus its value; a string is its UTF-8 bytes; a number is
 * 1 byte per two significant digits plus 1 byte (counted here with one digit of alignment slack, as
 * dynalite's own formula can need it); binary its raw bytes; null and Boolean 1 byte; a List or Map
 * 3 bytes plus 1 byte per element plus its elements. Takes SDK items (Uint8Array binaries) and dynalite's
 * stored items (base64 strings).
 */
export function awsItemBytes(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Bytes(name) + valueBytes(value);
  return size;
}

function valueBytes(value: unknown): number {
  const typed = value as Record<string, unknown>;
  const [type] = Object.keys(typed);
  const inner = type === undefined ? undefined : typed[type];
  switch (type) {
    case 'S':
      return utf8Bytes(inner as string);
    case 'N':
      return numberBytes(inner as string);
    case 'B':
      return binaryBytes(inner);
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + utf8Bytes(s), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + numberBytes(n), 0);
    case 'BS':
      return (inner as unknown[]).reduce<number>((sum, b) => sum + binaryBytes(b), 0);
    case 'NULL':
    case 'BOOL':
      return 1;
    case 'L':
      return (inner as unknown[]).reduce<number>((sum, element) => sum + 1 + valueBytes(element), 3);
    case 'M':
      return Object.entries(inner as Record<string, unknown>).reduce(
        (sum, [name, element]) => sum + 1 + utf8Bytes(name) + valueBytes(element),
        3,
      );
    default:
      throw new Error(`awsItemBytes: not an attribute value: ${JSON.stringify(value)}`);
  }
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function binaryBytes(value: unknown): number {
  return typeof value === 'string' ? Buffer.from(value, 'base64').length : (value as Uint8Array).length;
}

function numberBytes(text: string): number {
  const mantissa = text.replace(/^[+-]/, '').split(/e/i)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
  if (digits === 0) return 1;
  return 1 + Math.ceil((digits + 1) / 2) + (text.startsWith('-') ? 1 : 0);
}

/** What DynamoDB answers for a request it refuses as invalid (HTTP 400, `ValidationException`). */
export function validationException(message: string): DynamoDBServiceException {
  return new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    message,
    $metadata: { httpStatusCode: 400 },
  });
}

/** Refuses (ValidationException) any request naming a key attribute over its UTF-8 byte limit. */
function addKeySizeCheck(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const tooLong = keysOf(args.input).find(([name, value]) => {
        const limit = KEY_LIMITS[name];
        return limit !== undefined && typeof value.S === 'string' && utf8Bytes(value.S) > limit;
      });
      if (tooLong !== undefined) {
        throw validationException(
          `One or more parameter values were invalid: Size of key ${tooLong[0]} has exceeded the maximum size limit of ${KEY_LIMITS[tooLong[0]]} bytes`,
        );
      }
      return next(args);
    },
    { step: 'initialize', name: 'dynaliteKeySizeCheck', priority: 'high' },
  );
}

/** Every (attribute, value) of the items and keys a request names. */
function keysOf(input: unknown): [string, AttributeValue][] {
  const found: [string, AttributeValue][] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const element of value) visit(element, depth + 1);
      return;
    }
    for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
      if (name === 'Item' || name === 'Key') {
        found.push(...Object.entries(inner as Record<string, AttributeValue>));
      } else if (name === 'Keys') {
        for (const key of inner as Record<string, AttributeValue>[]) found.push(...Object.entries(key));
      } else if (name !== 'ExpressionAttributeValues') {
        visit(inner, depth + 1);
      }
    }
  };
  visit(input, 0);
  return found;
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

/**
 * Every check runs before the first write, so a refused transaction writes nothing, as in DynamoDB
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html):
 * - 1 to 100 actions, else ValidationException (the TransactItems length constraint);
 * - the items' aggregate size at most 4 MB, else ValidationException;
 * - no two actions on one item, else ValidationException (what DynamoDB answers in practice:
 *   "Transaction request cannot include multiple operations on one item");
 * - each item at most 400 KB, else TransactionCanceledException with reason ValidationError ("An item size
 *   becomes too large (larger than 400 KB) ..." among the cancellation causes on the same page).
 */
async function transactWrite(client: DynamoDBClient, input: TransactWriteItemsCommandInput): Promise<void> {
  const actions = input.TransactItems ?? [];
  if (actions.length < 1 || actions.length > MAX_TRANSACT_ACTIONS) {
    throw validationException(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACT_ACTIONS} and greater than or equal to 1 (got ${actions.length})`,
    );
  }
  const puts = actions.map((action, i) => {
    if (action.Put === undefined || Object.keys(action).length !== 1) {
      throw new Error(`dynalite transaction shim: action ${i} is not a Put; only Puts are emulated`);
    }
    return action.Put;
  });
  const sizes = puts.map((put) => awsItemBytes(put.Item ?? {}));
  const aggregate = sizes.reduce((sum, size) => sum + size, 0);
  if (aggregate > MAX_TRANSACT_BYTES) {
    throw validationException(
      `Transaction request size exceeded the maximum allowed size: ${aggregate} bytes > ${MAX_TRANSACT_BYTES}`,
    );
  }
  const identities = puts.map((put) => `${put.TableName}|${identity(put.Item ?? {})}`);
  if (new Set(identities).size !== identities.length) {
    throw validationException('Transaction request cannot include multiple operations on one item');
  }
  if (sizes.some((size) => size > MAX_ITEM_BYTES)) {
    throw cancellation(sizes.map((size) => (size > MAX_ITEM_BYTES ? 'ValidationError' : 'None')));
  }
  const conditional = puts.flatMap((put, i) => (put.ConditionExpression !== undefined ? [i] : []));
  if (conditional.length > 1)
    throw new Error('dynalite transaction shim: at most one conditional Put is emulated');
  for (const i of conditional) {
    try {
      await client.send(new PutItemCommand(puts[i] as NonNullable<(typeof puts)[number]>));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw cancellation(puts.map((_put, j) => (j === i ? 'ConditionalCheckFailed' : 'None')));
    }
  }
  const unconditional = puts.filter((_put, i) => !conditional.includes(i));
  await Promise.all(unconditional.map((put) => client.send(new PutItemCommand(put))));
}

function cancellation(codes: readonly string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

function identity(item: Record<string, AttributeValue>): string {
  return ['entity', 'pk', 'sk'].map((name) => item[name]?.S ?? '').join('|');
}
