import type { EntityTimeline } from './user-state';

/** An entity's timeline, or null: the store has no version of it (the lesson enriches as no_account/no_subscription). */
export type CachedTimeline = EntityTimeline | null;

/**
 * What enrichment has read of one user: the account's timeline (undefined: not read yet) and the timeline of
 * each language's subscription read so far. Keyed by the user's uuid as the staged row holds it, so a lesson
 * whose user is known costs one lookup and no entity key is built.
 */
export interface UserTimelines {
  account: CachedTimeline | undefined;
  readonly subscriptions: Map<string, CachedTimeline>;
}

/**
 * Timelines one process already read during one batch's EnrichSlices, so a lesson's entities are read from the
 * state store once per stretch of lessons instead of once per part (at 10M events a worker asked for each of
 * 262k entities about 14 times: docs/performance.md).
 *
 * Valid only while the state cannot change: EnrichSlices runs after every ValidateSlice applied its versions,
 * and nothing writes state until the batch ends (a forget waits for the run lease). So it is kept per batch
 * (`forBatch` drops everything on another batch id), and only by a runtime whose process serves one batch's
 * slice Maps and ends (the local slice worker). A warm Lambda could serve a redriven batch after a forget:
 * the AWS runtime has none.
 *
 * Bounded: two generations of at most `maxUsers` users each; a user found in the older one moves to the newer,
 * and when the newer is full the older is dropped whole. A caller holds the users it was given, never a
 * generation, so dropping one never changes an answer already given.
 */
export class TimelineCache {
  private batchId: string | undefined;
  private young = new Map<string, UserTimelines>();
  private old = new Map<string, UserTimelines>();
  /** Users found here, and users not found (diagnostics, tests). */
  hits = 0;
  misses = 0;

  constructor(readonly maxUsers = DEFAULT_MAX_USERS) {
    if (!Number.isInteger(maxUsers) || maxUsers < 1) throw new RangeError(`maxUsers must be a positive integer, got ${maxUsers}`);
  }

  /** Starts over when `batchId` is not the batch the cache holds timelines of. */
  forBatch(batchId: string): this {
    if (batchId !== this.batchId) {
      this.batchId = batchId;
      this.young = new Map();
      this.old = new Map();
    }
    return this;
  }

  /** The user's timelines read so far; a user not held yet starts with none read, and is held from now on. */
  user(userUuid: string): UserTimelines {
    const young = this.young.get(userUuid);
    if (young !== undefined) {
      this.hits++;
      return young;
    }
    const old = this.old.get(userUuid);
    if (old === undefined) this.misses++;
    else this.hits++;
    const entry = old ?? { account: undefined, subscriptions: new Map<string, CachedTimeline>() };
    if (this.young.size >= this.maxUsers) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(userUuid, entry);
    return entry;
  }
}

/** Users per generation: chosen by measurement (docs/performance.md). */
const DEFAULT_MAX_USERS = 16_384;
