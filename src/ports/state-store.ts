/**
 * Point-in-time user state, the run lease and the checkpoint: an embedded store locally, DynamoDB on AWS.
 * Contract (tests/ports/state-store.contract.ts).
 */

/** `account#<user_uuid>` or `subscription#<user_uuid>#<language>`; built by `entityKey()` in src/pipeline/entity-key.ts. */
export type EntityKey = string;

/**
 * Whether `entity` is one of `userUuid`'s entities: its account (`account#<user>`) or one of its
 * subscriptions (`subscription#<user>#<language>`). What `StateStore.deleteUser` removes.
 */
export function isEntityOfUser(entity: EntityKey, userUuid: string): boolean {
  return entity === `account#${userUuid}` || entity.startsWith(`subscription#${userUuid}#`);
}

/** One account or subscription event as a version of its entity. `fields` holds only what the event set. */
export interface StateVersion {
  readonly eventUuid: string;
  /** Event time, Unix seconds (may carry a fraction). */
  readonly createdAt: number;
  readonly fields: Readonly<Record<string, string>>;
  /**
   * Only on the folded base (`eventUuid` = `FOLDED_BASE_UUID`): the createdAt of the oldest version folded
   * into it. The base's `fields` are the entity's state as of its `createdAt` (the newest folded version);
   * a reader applies them from `foldedSince` on (see "Bounded history" below).
   */
  readonly foldedSince?: number;
}

/**
 * The eventUuid of an entity's folded base version. Not a UUID (it has a `~`), so no event's uuid can be it;
 * the stores refuse writes that use it.
 */
export const FOLDED_BASE_UUID = '~folded-base';

export interface VersionWrite {
  readonly entity: EntityKey;
  readonly version: StateVersion;
}

export interface LeaseRequest {
  readonly name: string;
  /** Who holds it: the execution id. */
  readonly owner: string;
  readonly nowMs: number;
  readonly ttlMs: number;
}

export interface LeaseResult {
  readonly acquired: boolean;
  /** The current holder when not acquired. */
  readonly holder?: string;
  readonly expiresAtMs?: number;
}

/** Who holds a lease, for `status`. The local store adds where the holder runs and its heartbeat. */
export interface LeaseInfo {
  readonly owner: string;
  readonly acquiredAtMs?: number;
  readonly expiresAtMs: number;
  readonly heartbeatAtMs?: number;
  readonly pid?: number;
  readonly host?: string;
}

/** A batch planned but not yet committed: the next scheduled run resumes it instead of planning anew. */
export interface PendingBatch {
  readonly batchId: string;
  readonly manifestKey: string;
}

export interface Checkpoint {
  /** Compare-and-set token; 0 when no checkpoint was ever written. */
  readonly version: number;
  readonly pending?: PendingBatch;
  /** Last committed batch id. */
  readonly lastBatchId?: string;
  /** ISO time of the last commit. */
  readonly committedAt?: string;
}

export interface CheckpointWrite {
  readonly name: string;
  readonly expectedVersion: number;
  readonly pending?: PendingBatch;
  readonly lastBatchId?: string;
  readonly committedAt?: string;
  /** Raw object keys to add to the processed ledger in the same atomic write. */
  readonly processedKeys?: readonly string[];
}

/**
 * Bounded history (one rule for every store: src/adapters/version-fold.ts; why: docs/aws-adapters.md,
 * "User-state items stay bounded"). An entity's state must fit one DynamoDB item (400 KB), so each write
 * ends with a fold:
 * - versions older than the entity's newest version by more than the horizon (default 7 days, the
 *   pipeline's `dedupHorizonDays`) are folded into ONE base version (`FOLDED_BASE_UUID`): its fields are the
 *   event-time fold of everything folded, its createdAt the newest folded version's, its `foldedSince` the
 *   oldest's;
 * - beyond 2,000 kept versions, or 300 KB (DynamoDB's item-size count), the oldest are folded too;
 * - a field value is stored cut to its first 1 KiB of UTF-8 (at a character boundary).
 * Folding always takes whole runs of equal createdAt, so every kept version is newer than the base.
 * A lesson at or after the base's createdAt gets the exact point-in-time answer; one between `foldedSince`
 * and the base's createdAt gets the base state; one before `foldedSince` none.
 */
export interface StateStore {
  /**
   * Adds versions; put-if-absent by (entity, eventUuid): writing the same event twice changes nothing,
   * and a later event with the same uuid never overwrites the first (first wins, as in the curated table),
   * as long as the first is not folded. A version whose createdAt is at or before the entity's base is
   * dropped: it is folded history already, or too old to change it. Then the entity is folded (above).
   */
  putVersions(writes: readonly VersionWrite[]): Promise<void>;
  /**
   * Every version of each entity asked for, its folded base included (missing entities are absent from the
   * map), any order.
   */
  getVersions(entities: readonly EntityKey[]): Promise<Map<EntityKey, StateVersion[]>>;
  /**
   * Removes every entity of one user (`isEntityOfUser`: the account and every subscription), with all their
   * versions, and answers how many entities it removed (0 when there were none: a second call is a no-op).
   * What `eventlake forget` uses; afterwards the user's lessons enrich as `no_account`. A later write of the
   * same entity starts it afresh.
   */
  deleteUser(userUuid: string): Promise<number>;

  /**
   * Takes the lease when free, expired, or already held by the same owner (then renews it). Never throws
   * for "held": returns `{acquired: false, holder, expiresAtMs}`.
   */
  acquireLease(request: LeaseRequest): Promise<LeaseResult>;
  /** Releases only when `owner` holds it; returns whether it did. */
  releaseLease(name: string, owner: string): Promise<boolean>;
  /** The lease as stored (expired or not), or undefined when nobody holds it. */
  describeLease(name: string): Promise<LeaseInfo | undefined>;

  getCheckpoint(name: string): Promise<Checkpoint>;
  /**
   * Compare-and-set: writes when the stored version equals `expectedVersion`, bumping it by one,
   * and adds `processedKeys` to the ledger atomically with it. Otherwise throws `CheckpointConflictError`.
   * Fields not given are cleared (a write states the whole checkpoint).
   */
  putCheckpoint(write: CheckpointWrite): Promise<Checkpoint>;
  /**
   * Which of `keys` the processed ledger holds. The ledger is shared by every checkpoint name: objects a
   * backfill committed count as processed for the scheduled run too.
   */
  filterProcessed(keys: readonly string[]): Promise<Set<string>>;
}
