import { checkCheckpointWrite, checkLeaseRequest, checkName, checkVersionWrite } from '../state-store-checks';
import { applyVersions, foldLimits, groupByEntity, storedVersion, type FoldLimits } from '../version-fold';
import { randomUUID } from 'node:crypto';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  type DynamoDBClient,
  type TransactWriteItem,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { CheckpointConflictError, InvalidInputError, TransientError } from '../../errors';
import {
  isEntityOfUser,
  type Checkpoint,
  type CheckpointWrite,
  type EntityKey,
  type LeaseInfo,
  type LeaseRequest,
  type LeaseResult,
  type StateStore,
  type StateVersion,
  type VersionWrite,
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
  revisionOf,
  stateItem,
  stateItemKey,
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
  /**
   * Versions older than an entity's newest by more than this many days are folded into its base
   * (src/adapters/version-fold.ts). Give the pipeline's `dedupHorizonDays`. @default 7
   */
  readonly horizonDays?: number;
}

/**
 * DynamoDB limits: TransactWriteItems "groups up to 100 action requests" whose items "cannot exceed 4 MB"
 * together (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html);
 * BatchGetItem "up to 100 items" (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html);
 * BatchWriteItem "up to 25 item put or delete operations"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
 * tests/adapters/aws/dynalite-fixture.ts enforces the transaction limits; dynalite itself the batch ones.
 */
const MAX_TRANSACT_ITEMS = 100;
const MAX_BATCH_GET_KEYS = 100;
const MAX_BATCH_WRITE_ITEMS = 25;
/** Chunks of one BatchGet/BatchWrite loop in flight at once. */
const BATCH_CONCURRENCY = 4;
/** Rounds of "lease released between the failed put and the read" before giving up as transient. */
const RACE_ROUNDS = 4;
/**
 * Read-modify-write rounds of one entity before giving up as transient. A round is lost only when another
 * writer's write of that entity landed between its read and its write, and each writer lands once, so N
 * writers at once all land within N rounds. Writers of one entity at once: one putVersions per
 * ValidateSlice, at most MaxConcurrency 4 of them (state-machines/microbatch.asl.json), so 8 is twice that.
 */
const VERSION_WRITE_ROUNDS = 8;

const THROTTLING = ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'];
const CONTENTION = ['TransactionConflictException', 'TransactionInProgressException'];

/**
 * The StateStore on DynamoDB (tests/ports/state-store.contract.ts; key design in dynamodb-items.ts).
 *
 * - Versions: read-modify-write of the entity's one item, conditional on its revision: the new versions
 *   are added put-if-absent (the first write wins, a repeat changes nothing) and the entity folded
 *   (src/adapters/version-fold.ts), so the item stays under DynamoDB's 400 KB item limit; reads are
 *   strongly consistent BatchGetItem.
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
  private readonly limits: FoldLimits;

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
    this.limits = foldLimits(options.horizonDays);
  }

  // ---------------------------------------------------------------- versions

  async putVersions(writes: readonly VersionWrite[]): Promise<void> {
    writes.forEach(checkVersionWrite);
    const byEntity = groupByEntity(
      writes.map(({ entity, version }) => ({ entity, version: storedVersion(version) })),
    );
    await forEachLimit([...byEntity], this.writeConcurrency, ([entity, versions]) =>
      this.addVersions(entity, versions),
    );
  }

  /**
   * Adds versions to one entity by read-modify-write: a strongly consistent GetItem, the fold
   * (`applyVersions`: put-if-absent, first wins, then bounded), and a PutItem of the whole item conditional
   * on the revision read (`attribute_not_exists` for a new item; for an item from before revisions, that it
   * still has none). A write that changes nothing is not sent. If another writer landed in between, the
   * condition fails and the round starts over from a fresh read, so first-wins holds under any interleaving
   * and no version is lost. The whole item is written, but an UpdateItem is charged for the larger of the
   * item before and after as well ("DynamoDB considers the size of the item as it appears before and after
   * the update", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption),
   * so the price over the old nested-SET update is the read (1 RCU per 4 KB).
   */
  private async addVersions(entity: EntityKey, versions: readonly StateVersion[]): Promise<void> {
    const key = { entity: { S: stateItemKey(entity) } };
    for (let round = 0; round < VERSION_WRITE_ROUNDS; round += 1) {
      const item = await this.getItem(this.stateTable, key);
      const applied = applyVersions(versionsOf(item), versions, this.limits);
      if (!applied.changed) return;
      const rev = revisionOf(item);
      const written = await this.conditional(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.stateTable,
            Item: stateItem(entity, applied.versions, (rev ?? 0) + 1),
            ...(rev === undefined
              ? {
                  ConditionExpression: 'attribute_not_exists(#entity)',
                  ExpressionAttributeNames: { '#entity': 'entity' },
                }
              : rev === 0
                ? {
                    ConditionExpression: 'attribute_exists(#entity) AND attribute_not_exists(#rev)',
                    ExpressionAttributeNames: { '#entity': 'entity', '#rev': 'rev' },
                  }
                : {
                    ConditionExpression: '#rev = :rev',
                    ExpressionAttributeNames: { '#rev': 'rev' },
                    ExpressionAttributeValues: { ':rev': { N: String(rev) } },
                  }),
          }),
        ),
      );
      if (written) return;
    }
    throw new TransientError(
      `DynamoDB: versions of ${entity.slice(0, 200)} kept changing under ${VERSION_WRITE_ROUNDS} write rounds`,
    );
  }

  async getVersions(entities: readonly EntityKey[]): Promise<Map<EntityKey, StateVersion[]>> {
    const byItemKey = new Map<string, EntityKey>();
    for (const entity of entities) byItemKey.set(stateItemKey(entity), entity);
    const items = await this.batchGet(
      this.stateTable,
      [...byItemKey.keys()].map((key) => ({ entity: { S: key } })),
      {
        ProjectionExpression: '#entity, #versions',
        ExpressionAttributeNames: { '#entity': 'entity', '#versions': 'versions' },
      },
      'user state',
    );
    const found = new Map<EntityKey, StateVersion[]>();
    for (const item of items) {
      const entity = byItemKey.get(item.entity?.S ?? '');
      if (entity !== undefined) found.set(entity, versionsOf(item));
    }
    return found;
  }

  /**
   * Deletes the user's entities (`isEntityOfUser`). The table's only key is `entity`, and a Query needs the
   * whole partition key value ("You must provide the name of the partition key attribute and a single value
   * for that attribute", https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html),
   * while a user's subscription keys end in languages nobody lists; so this is a Scan of the keys
   * (ProjectionExpression `entity`), strongly consistent ("ConsistentRead ... If set to true, then the
   * operation uses strongly consistent reads", paged by LastEvaluatedKey/ExclusiveStartKey:
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html) with a FilterExpression on
   * the key prefixes (begins_with: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html),
   * then BatchWriteItem DeleteRequests of at most 25 (MAX_BATCH_WRITE_ITEMS), UnprocessedItems retried.
   * A Scan reads (and is charged for) the whole table: an erasure is rare and manual, so that is accepted
   * (docs/operations.md#forgetting-a-user). Not found: entities stored under a hashed key (`~sha256:`,
   * a subscription whose language makes the key longer than 1 KB): their key no longer shows the user.
   */
  async deleteUser(userUuid: string): Promise<number> {
    checkName('user uuid', userUuid);
    const keys: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.call('Scan', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.stateTable,
            ConsistentRead: true,
            ProjectionExpression: '#entity',
            FilterExpression: '#entity = :account OR begins_with(#entity, :subscriptions)',
            ExpressionAttributeNames: { '#entity': 'entity' },
            ExpressionAttributeValues: {
              ':account': { S: `account#${userUuid}` },
              ':subscriptions': { S: `subscription#${userUuid}#` },
            },
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const entity = item.entity?.S;
        if (entity !== undefined && isEntityOfUser(entity, userUuid)) keys.push({ entity: { S: entity } });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    await this.batchWrite(
      this.stateTable,
      keys.map((key) => ({ DeleteRequest: { Key: key } })),
      'user state',
    );
    return keys.length;
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
              acquiredAtMs: { N: String(request.nowMs) },
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

  async describeLease(name: string): Promise<LeaseInfo | undefined> {
    checkName('lease name', name);
    const item = await this.getItem(this.controlTable, leaseKey(name));
    const owner = item?.owner?.S;
    if (owner === undefined) return undefined;
    const acquired = item?.acquiredAtMs?.N;
    return { owner, expiresAtMs: Number(item?.expiresAtMs?.N), ...(acquired !== undefined ? { acquiredAtMs: Number(acquired) } : {}) };
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
   * entry, at most 100 actions): all of it or none of it. Its 4 MB aggregate cannot be reached: a ledger
   * item is its raw key (an S3 key, at most 1,024 bytes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html,
   * also DynamoDB's sort key limit) plus ~50 bytes, so 99 of them are ~110 KB. The contract runs 99, 100,
   * 1,000 and 5,000 keys against the fixture, which enforces both limits.
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
    await this.batchWrite(
      this.controlTable,
      keys.map((key) => ({ PutRequest: { Item: ledgerItem(key, checkpointName) } })),
      'processed ledger',
    );
  }

  /** Every request of `all`, by BatchWriteItem in chunks of 25, UnprocessedItems retried with backoff. */
  private async batchWrite(table: string, all: readonly WriteRequest[], what: string): Promise<void> {
    await forEachLimit(chunks(all, MAX_BATCH_WRITE_ITEMS), BATCH_CONCURRENCY, async (chunk) => {
      let requests: WriteRequest[] = chunk;
      for (let attempt = 1; ; attempt += 1) {
        const output = await this.call('BatchWriteItem', () =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } })),
        );
        requests = output.UnprocessedItems?.[table] ?? [];
        if (requests.length === 0) return;
        if (attempt >= this.backoff.maxAttempts) {
          throw new TransientError(
            `DynamoDB BatchWriteItem on ${table} (${what}) left ${requests.length} of ${chunk.length} items unprocessed after ${attempt} attempts`,
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
