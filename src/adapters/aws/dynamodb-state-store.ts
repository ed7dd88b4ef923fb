import { checkCheckpointWrite, checkLeaseRequest, checkName } from '../state-store-checks';
import { randomUUID } from 'node:crypto';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { CheckpointConflictError, InvalidInputError, TransientError } from '../../errors';
import type {
  Checkpoint,
  CheckpointWrite,
  EntityKey,
  LeaseRequest,
  LeaseResult,
  StateStore,
  StateVersion,
  VersionWrite,
} from '../../ports/state-store';
import { awsErrorName, isAwsError, isServerFault, messageOf } from './aws-errors';
import { backoffDelayMs, backoffOptions, sleep, type BackoffOptions } from './backoff';
import { chunks, forEachLimit } from './concurrency';
import {
  checkpointItem,
  checkpointKey,
  checkpointOf,
  ledgerItem,
  ledgerKey,
  leaseKey,
  versionValue,
  versionsOf,
  type Item,
} from './dynamodb-items';

export interface DynamoDbStateStoreOptions {
  /** Built once per process and shared (Lambda cold start); injected so tests can mock it. */
  readonly client: DynamoDBClient;
  /** User-state table: partition key `entity` (S). */
  readonly stateTable: string;
  /** Lease, checkpoint and processed ledger: partition key `pk` (S), sort key `sk` (S). */
  readonly controlTable: string;
  /** Bounds of the UnprocessedKeys/UnprocessedItems loops. @default DEFAULT_BACKOFF (8 calls, 50 ms doubling, 5 s cap) */
  readonly backoff?: Partial<BackoffOptions>;
  /** Entities `putVersions` writes at once. @default 16 */
  readonly writeConcurrency?: number;
}

/** DynamoDB limits. */
const MAX_TRANSACT_ITEMS = 100;
const MAX_BATCH_GET_KEYS = 100;
const MAX_BATCH_WRITE_ITEMS = 25;
/** Keeps an UpdateExpression well under DynamoDB's 4 KB expression limit (~55 bytes per version). */
const VERSIONS_PER_UPDATE = 50;
/** Chunks of one BatchGet/BatchWrite loop in flight at once. */
const BATCH_CONCURRENCY = 4;
/** Rounds of "item appeared / vanished between two conditional calls" before giving up as transient. */
const RACE_ROUNDS = 4;

const THROTTLING = ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'];
const CONTENTION = ['TransactionConflictException', 'TransactionInProgressException'];

/**
 * The StateStore on DynamoDB (tests/ports/state-store.contract.ts; key design in dynamodb-items.ts).
 *
 * - Versions: put-if-absent per (entity, eventUuid) with `if_not_exists` on the map entry, so the first
 *   write wins and a repeat changes nothing; reads are strongly consistent BatchGetItem.
 * - Lease: one conditional PutItem (free, expired, or already ours); release a DeleteItem on `owner`.
 * - Checkpoint: compare-and-set on `version` in a TransactWriteItems that also adds the processed-ledger
 *   entries (all-or-nothing), except for more than 99 keys: see `putCheckpoint`.
 * - Throttling (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded), transaction contention,
 *   5xx answers and unprocessed batch keys left after the bound are `TransientError`.
 */
export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly stateTable: string;
  private readonly controlTable: string;
  private readonly backoff: BackoffOptions;
  private readonly writeConcurrency: number;

  constructor(options: DynamoDbStateStoreOptions) {
    for (const [what, table] of [
      ['stateTable', options.stateTable],
      ['controlTable', options.controlTable],
    ] as const) {
      if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
        throw new InvalidInputError(
          `DynamoDbStateStore: ${what} is not a DynamoDB table name: ${JSON.stringify(table)}`,
        );
      }
    }
    this.client = options.client;
    this.stateTable = options.stateTable;
    this.controlTable = options.controlTable;
    this.backoff = backoffOptions(options.backoff);
    this.writeConcurrency = options.writeConcurrency ?? 16;
  }

  // ---------------------------------------------------------------- versions

  async putVersions(writes: readonly VersionWrite[]): Promise<void> {
    writes.forEach(checkVersionWrite);
    // Group per entity, keeping the first version of each uuid (first wins within the batch, too).
    const byEntity = new Map<EntityKey, Map<string, StateVersion>>();
    for (const { entity, version } of writes) {
      let versions = byEntity.get(entity);
      if (versions === undefined) byEntity.set(entity, (versions = new Map<string, StateVersion>()));
      if (!versions.has(version.eventUuid)) versions.set(version.eventUuid, version);
    }
    await forEachLimit([...byEntity], this.writeConcurrency, async ([entity, versions]) => {
      for (const chunk of chunks([...versions.values()], VERSIONS_PER_UPDATE))
        await this.addVersions(entity, chunk);
    });
  }

  /**
   * Adds versions to one entity's map without overwriting any. DynamoDB cannot SET `versions.#u` while
   * `versions` does not exist, and `if_not_exists(versions, :empty)` cannot be combined with a nested SET
   * of the same attribute in one expression. So: (1) nested put-if-absent, conditional on the map
   * existing; if it does not, (2) create the map with these versions, conditional on it still not
   * existing; if another writer created it in between, go back to (1). Each step is one atomic UpdateItem,
   * so first-wins holds under any interleaving.
   */
  private async addVersions(entity: EntityKey, versions: readonly StateVersion[]): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const sets: string[] = [];
    const all: Item = {};
    versions.forEach((version, i) => {
      names[`#v${i}`] = version.eventUuid;
      values[`:v${i}`] = versionValue(version);
      sets.push(`versions.#v${i} = if_not_exists(versions.#v${i}, :v${i})`);
      all[version.eventUuid] = versionValue(version);
    });
    for (let round = 0; round < RACE_ROUNDS; round += 1) {
      const added = await this.conditional(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.stateTable,
            Key: { entity: { S: entity } },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(versions)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      if (added) return;
      const created = await this.conditional(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.stateTable,
            Key: { entity: { S: entity } },
            UpdateExpression: 'SET versions = :versions',
            ConditionExpression: 'attribute_not_exists(versions)',
            ExpressionAttributeValues: { ':versions': { M: all } },
          }),
        ),
      );
      if (created) return;
    }
    throw new TransientError(
      `DynamoDB: versions of ${entity} kept changing under ${RACE_ROUNDS} write rounds`,
    );
  }

  async getVersions(entities: readonly EntityKey[]): Promise<Map<EntityKey, StateVersion[]>> {
    const unique = [...new Set(entities)];
    const items = await this.batchGet(
      this.stateTable,
      unique.map((entity) => ({ entity: { S: entity } })),
      {
        ProjectionExpression: '#entity, #versions',
        ExpressionAttributeNames: { '#entity': 'entity', '#versions': 'versions' },
      },
      'user state',
    );
    const found = new Map<EntityKey, StateVersion[]>();
    for (const item of items) {
      const entity = item.entity?.S;
      if (entity !== undefined) found.set(entity, versionsOf(item));
    }
    return found;
  }

  // ---------------------------------------------------------------- lease

  async acquireLease(request: LeaseRequest): Promise<LeaseResult> {
    checkLeaseRequest(request);
    const expiresAtMs = request.nowMs + request.ttlMs;
    for (let round = 0; round < RACE_ROUNDS; round += 1) {
      const acquired = await this.conditional(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.controlTable,
            Item: {
              ...leaseKey(request.name),
              owner: { S: request.owner },
              expiresAtMs: { N: String(expiresAtMs) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #expiresAtMs <= :now OR #owner = :owner',
            ExpressionAttributeNames: { '#expiresAtMs': 'expiresAtMs', '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':now': { N: String(request.nowMs) },
              ':owner': { S: request.owner },
            },
          }),
        ),
      );
      if (acquired) return { acquired: true, holder: request.owner, expiresAtMs };
      const current = await this.getItem(this.controlTable, leaseKey(request.name));
      const holder = current?.owner?.S;
      const heldUntil = Number(current?.expiresAtMs?.N);
      // Held by someone else: report them. Released or expired in between: ask again.
      if (holder !== undefined && holder !== request.owner && request.nowMs < heldUntil) {
        return { acquired: false, holder, expiresAtMs: heldUntil };
      }
    }
    throw new TransientError(
      `DynamoDB: lease ${request.name} kept changing hands under ${RACE_ROUNDS} attempts`,
    );
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    checkName('lease name', name);
    checkName('lease owner', owner);
    return this.conditional(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.controlTable,
          Key: leaseKey(name),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      ),
    );
  }

  // ---------------------------------------------------------------- checkpoint

  async getCheckpoint(name: string): Promise<Checkpoint> {
    checkName('checkpoint name', name);
    return checkpointOf(await this.getItem(this.controlTable, checkpointKey(name)));
  }

  /**
   * Compare-and-set of the checkpoint plus its ledger entries.
   *
   * Up to 99 distinct keys: one TransactWriteItems (the conditional checkpoint Put and one Put per ledger
   * entry, at most 100 actions): all of it or none of it.
   *
   * More keys do not fit one transaction, so the ledger entries are written FIRST (idempotent BatchWriteItem)
   * and the conditional checkpoint Put LAST. Why that order is the safe one, checked against
   * src/pipeline/plan-batch.ts and commit-batch.ts:
   * - CommitBatch runs after every MERGE group committed and VerifyBatch passed, so each object a
   *   ledger entry names already has its rows in the curated table (and its bad lines in the quarantine).
   * - If the checkpoint Put then fails (crash, or CheckpointConflict), the scheduled checkpoint still
   *   holds `pending` = this batch, and planBatch resumes a pending batch from its manifest without
   *   consulting the ledger: the early entries cannot make the resumed batch skip anything. A conflict
   *   means another run already moved the checkpoint; while a batch is pending the only move is
   *   committing that same batch, whose keys these are.
   * - Backfill commits only after their merge, too; a stranded entry there only tells later scheduled runs
   *   "already merged", which is true.
   * The other order is NOT safe: a crash after the checkpoint Put (pending cleared) but before the
   * ledger leaves merged objects outside the ledger, and the next scheduled run would process them again
   * in a new batch (the table survives through the insert-only MERGE, but the objects count twice and
   * the checkpoint moves twice).
   * What the port states literally ("adds no key when the write conflicts") therefore holds only up to
   * 99 keys; above that a conflicting write may leave entries, which by the reasoning above are true.
   */
  async putCheckpoint(write: CheckpointWrite): Promise<Checkpoint> {
    checkCheckpointWrite(write);
    const version = write.expectedVersion + 1;
    const keys = [...new Set(write.processedKeys ?? [])];
    const inTransaction = keys.length <= MAX_TRANSACT_ITEMS - 1 ? keys : [];
    if (inTransaction.length < keys.length) await this.writeLedger(keys, write.name);

    const transactItems: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.controlTable,
          Item: checkpointItem(write, version),
          ...(write.expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': { N: String(write.expectedVersion) } },
              }),
        },
      },
      ...inTransaction.map((key) => ({
        Put: { TableName: this.controlTable, Item: ledgerItem(key, write.name) },
      })),
    ];
    try {
      await this.call('TransactWriteItems', () =>
        this.client.send(
          // The token makes the SDK's own retry of a transaction that did commit a success, not a conflict.
          new TransactWriteItemsCommand({ TransactItems: transactItems, ClientRequestToken: randomUUID() }),
        ),
      );
    } catch (error) {
      if (!isAwsError(error, 'TransactionCanceledException')) throw error;
      const codes = cancellationCodes(error);
      if (codes.includes('ConditionalCheckFailed')) {
        const actual = await this.getCheckpoint(write.name);
        throw new CheckpointConflictError(write.name, write.expectedVersion, actual.version);
      }
      throw new TransientError(
        `DynamoDB: checkpoint ${write.name} transaction cancelled (${codes.join(', ')})`,
        {
          cause: error,
        },
      );
    }
    return checkpointOf(checkpointItem(write, version));
  }

  async filterProcessed(keys: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(keys)];
    const items = await this.batchGet(
      this.controlTable,
      unique.map(ledgerKey),
      { ProjectionExpression: '#sk', ExpressionAttributeNames: { '#sk': 'sk' } },
      'processed ledger',
    );
    return new Set(items.flatMap((item) => (item.sk?.S !== undefined ? [item.sk.S] : [])));
  }

  // ---------------------------------------------------------------- plumbing

  private async writeLedger(keys: readonly string[], checkpointName: string): Promise<void> {
    await forEachLimit(chunks(keys, MAX_BATCH_WRITE_ITEMS), BATCH_CONCURRENCY, async (chunk) => {
      let requests: WriteRequest[] = chunk.map((key) => ({
        PutRequest: { Item: ledgerItem(key, checkpointName) },
      }));
      for (let attempt = 1; ; attempt += 1) {
        const output = await this.call('BatchWriteItem', () =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.controlTable]: requests } })),
        );
        requests = output.UnprocessedItems?.[this.controlTable] ?? [];
        if (requests.length === 0) return;
        if (attempt >= this.backoff.maxAttempts) {
          throw new TransientError(
            `DynamoDB BatchWriteItem on ${this.controlTable} (processed ledger) left ${requests.length} of ${chunk.length} items unprocessed after ${attempt} attempts`,
          );
        }
        await sleep(backoffDelayMs(attempt - 1, this.backoff));
      }
    });
  }

  /** Every item of `keys` that exists, by strongly consistent BatchGetItem in chunks of 100. */
  private async batchGet(
    table: string,
    keys: readonly Item[],
    projection: { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> },
    what: string,
  ): Promise<Item[]> {
    const found: Item[] = [];
    await forEachLimit(chunks(keys, MAX_BATCH_GET_KEYS), BATCH_CONCURRENCY, async (chunk) => {
      let pending: Item[] = chunk;
      for (let attempt = 1; ; attempt += 1) {
        const output = await this.call('BatchGetItem', () =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: { [table]: { Keys: pending, ConsistentRead: true, ...projection } },
            }),
          ),
        );
        found.push(...(output.Responses?.[table] ?? []));
        pending = output.UnprocessedKeys?.[table]?.Keys ?? [];
        if (pending.length === 0) return;
        if (attempt >= this.backoff.maxAttempts) {
          throw new TransientError(
            `DynamoDB BatchGetItem on ${table} (${what}) left ${pending.length} of ${chunk.length} keys unprocessed after ${attempt} attempts`,
          );
        }
        await sleep(backoffDelayMs(attempt - 1, this.backoff));
      }
    });
    return found;
  }

  private async getItem(table: string, key: Item): Promise<Item | undefined> {
    const output = await this.call('GetItem', () =>
      this.client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })),
    );
    return output.Item;
  }

  /** Runs a conditional write: true when it was applied, false when its condition failed. */
  private async conditional(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call('conditional write', send);
      return true;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  /** Runs one DynamoDB call, mapping throttling, contention and 5xx answers to `TransientError`. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (isAwsError(error, ...THROTTLING, ...CONTENTION) || isServerFault(error)) {
        throw new TransientError(
          `DynamoDB ${operation} failed with ${awsErrorName(error) ?? 'an error'}, retry later: ${messageOf(error)}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function cancellationCodes(error: unknown): string[] {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

// ---------------------------------------------------------------- argument checks

function checkVersionWrite(write: VersionWrite, index: number): void {
  const where = `putVersions: writes[${index}]`;
  if (typeof write.entity !== 'string' || write.entity.length === 0) {
    throw new InvalidInputError(`${where}.entity must be a non-empty string`);
  }
  const { eventUuid, createdAt, fields } = write.version;
  if (typeof eventUuid !== 'string' || eventUuid.length === 0) {
    throw new InvalidInputError(`${where}.version.eventUuid must be a non-empty string`);
  }
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) {
    throw new InvalidInputError(`${where}.version.createdAt must be a finite number`);
  }
  if (
    typeof fields !== 'object' ||
    fields === null ||
    Object.values(fields as Record<string, unknown>).some((value) => typeof value !== 'string')
  ) {
    throw new InvalidInputError(`${where}.version.fields must be an object of strings`);
  }
}

