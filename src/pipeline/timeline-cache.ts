import type { StateVersion } from '../ports/state-store';
import { foldVersions, lastAtOrBefore } from './user-state';

/** A folded state as enrichment reads it (the fields of an account or a subscription). */
export type FoldedState = Readonly<Record<string, string>>;

/** Bounds of a TimelineCache; the defaults were chosen by measurement (docs/performance.md). */
export interface TimelineCacheBounds {
  /** Users held at most (the account and the subscriptions of each). */
  readonly maxUsers: number;
  /** Folded versions held at most, over all entities. */
  readonly maxVersions: number;
}

const DEFAULT_BOUNDS: TimelineCacheBounds = { maxUsers: 262_144, maxVersions: 2_097_152 };

/** An entity slot not read from the state store yet. */
const UNREAD = -1;
/** No slot (a user without an account slot yet, the end of a user's list of subscriptions). */
const NONE = -1;

/**
 * The timelines one process read during one batch's EnrichSlices, so each entity is read from the state store
 * once per batch rather than once per lessons part (at 10M events a worker asked for each of 262k entities
 * about 14 times: docs/performance.md).
 *
 * Compact: a user is a number (one map entry keyed by its uuid as the staged row holds it, so a lesson whose
 * user is known builds no entity key); an entity (the user's account, or one language's subscription) is a
 * slot of typed arrays; a timeline is a stretch of two shared typed arrays, its times and its folded states,
 * each state one of the few distinct ones (interned). At 10M events (144k users, 262k entities) that is ~30
 * MiB per worker where one object per version took ~2 KiB per user.
 *
 * Valid only while the state cannot change: EnrichSlices runs after every ValidateSlice applied its versions,
 * and nothing writes state until the batch ends (a forget waits for the run lease). So it is kept per batch
 * (`forBatch` drops everything on another batch id), and only by a runtime whose process serves one batch's
 * slice Maps and ends (the local slice worker). A warm Lambda could serve a redriven batch after a forget:
 * the AWS runtime has none.
 *
 * Bounded: `reserve(n)` before each stretch of n lessons starts over when they could take it past its bounds;
 * slots handed out stay valid until the next `reserve`.
 */
export class TimelineCache {
  private batchId: string | undefined;
  private users = new Map<string, number>();
  /** Per user slot: its account's entity slot and its first subscription's, or NONE. */
  private accountOf = new Int32Column();
  private firstSubscriptionOf = new Int32Column();
  /** Per entity slot: where its timeline starts in `times`/`states`, how long it is (UNREAD), its language, the next subscription of the same user. */
  private start = new Int32Column();
  private length = new Int32Column();
  private language = new Int32Column();
  private nextSubscription = new Int32Column();
  private times = new Float64Column();
  private states = new Int32Column();
  private stateIds = new Map<string, number>();
  private stateValues: FoldedState[] = [];
  private languageIds = new Map<string, number>();
  /** Users found here, and users not found (diagnostics, tests). */
  hits = 0;
  misses = 0;

  constructor(readonly bounds: TimelineCacheBounds = DEFAULT_BOUNDS) {
    for (const [name, value] of Object.entries(bounds)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }

  /** Starts over when `batchId` is not the batch the cache holds timelines of. */
  forBatch(batchId: string): this {
    if (batchId !== this.batchId) {
      this.batchId = batchId;
      this.clear();
    }
    return this;
  }

  /** Makes room for the users of `lessons` more lessons: starts over if they might not fit, or once it holds maxVersions versions. */
  reserve(lessons: number): void {
    if (this.users.size + lessons > this.bounds.maxUsers || this.times.size >= this.bounds.maxVersions) this.clear();
  }

  /** The user's slot; a user not held yet is held from now on, with nothing read. */
  user(userUuid: string): number {
    const found = this.users.get(userUuid);
    if (found !== undefined) {
      this.hits++;
      return found;
    }
    this.misses++;
    const slot = this.users.size;
    this.users.set(userUuid, slot);
    this.accountOf.push(NONE);
    this.firstSubscriptionOf.push(NONE);
    return slot;
  }

  /** The entity slot of the user's account. */
  account(user: number): number {
    const found = this.accountOf.at(user);
    if (found !== NONE) return found;
    const slot = this.newEntity(NONE, NONE);
    this.accountOf.set(user, slot);
    return slot;
  }

  /** The entity slot of the user's subscription for `language`. */
  subscription(user: number, language: string): number {
    let id = this.languageIds.get(language);
    if (id === undefined) this.languageIds.set(language, (id = this.languageIds.size));
    const first = this.firstSubscriptionOf.at(user);
    for (let slot = first; slot !== NONE; slot = this.nextSubscription.at(slot)) {
      if (this.language.at(slot) === id) return slot;
    }
    const slot = this.newEntity(id, first);
    this.firstSubscriptionOf.set(user, slot);
    return slot;
  }

  /** Whether the entity's timeline was read (`fill`). */
  isRead(entity: number): boolean {
    return this.length.at(entity) !== UNREAD;
  }

  /** Keeps the entity's versions as read from the state store (undefined: it has none). */
  fill(entity: number, versions: readonly StateVersion[] | undefined): void {
    const { times, states } = foldVersions(versions ?? []);
    this.start.set(entity, this.times.size);
    this.length.set(entity, times.length);
    for (const [i, time] of times.entries()) {
      this.times.push(time);
      this.states.push(this.stateId(states[i] as FoldedState));
    }
  }

  /** The entity's folded state as of `t` (inclusive), or undefined when it has no version that old. */
  asOf(entity: number, t: number): FoldedState | undefined {
    const length = this.length.at(entity);
    if (length === UNREAD) throw new Error(`TimelineCache: entity slot ${entity} was not read before asOf`);
    const from = this.start.at(entity);
    const at = lastAtOrBefore(this.times.array, from, from + length, t);
    return at < 0 ? undefined : this.stateValues[this.states.at(at)];
  }

  private newEntity(language: number, next: number): number {
    const slot = this.length.size;
    this.start.push(0);
    this.length.push(UNREAD);
    this.language.push(language);
    this.nextSubscription.push(next);
    return slot;
  }

  private stateId(state: FoldedState): number {
    const key = JSON.stringify(state);
    let id = this.stateIds.get(key);
    if (id === undefined) {
      id = this.stateValues.push(state) - 1;
      this.stateIds.set(key, id);
    }
    return id;
  }

  private clear(): void {
    this.users = new Map();
    for (const column of [this.accountOf, this.firstSubscriptionOf, this.start, this.length, this.language, this.nextSubscription, this.states, this.times]) {
      column.clear();
    }
    this.stateIds = new Map();
    this.stateValues = [];
    this.languageIds = new Map();
  }
}

/** A typed array that grows by doubling. */
class Column<A extends Int32Array | Float64Array> {
  size = 0;

  constructor(
    private readonly make: (length: number) => A,
    public array: A = make(1024),
  ) {}

  at(i: number): number {
    return this.array[i] as number;
  }

  set(i: number, value: number): void {
    this.array[i] = value;
  }

  push(value: number): void {
    if (this.size === this.array.length) {
      const grown = this.make(this.array.length * 2);
      grown.set(this.array);
      this.array = grown;
    }
    this.array[this.size++] = value;
  }

  clear(): void {
    this.size = 0;
    this.array = this.make(1024);
  }
}

class Int32Column extends Column<Int32Array> {
  constructor() {
    super((length) => new Int32Array(length));
  }
}

class Float64Column extends Column<Float64Array> {
  constructor() {
    super((length) => new Float64Array(length));
  }
}
