import * as catalog from './catalog';
import { lessonId, otherFields, renderCreatedAt, type Fields } from './payloads';
import type { Prng } from './prng';

// Bound once: module interop may turn each imported constant into a getter call on the hot path.
const { COUNTRIES, EVENT_CATALOG, LANGUAGES, LOCALES, PAID_SUBSCRIPTION_TYPES, PLATFORMS, REFERRAL_SOURCES } =
  catalog;

export type LessonStatus = 'enriched' | 'no_account' | 'no_subscription';

/** One valid event, rendered. */
export interface ModelEvent {
  readonly line: string;
  readonly name: string;
  /** `created_at` exactly as written. */
  readonly createdAt: number;
  /** What enrichment must say for a lesson; undefined for other events. */
  readonly lessonStatus: LessonStatus | undefined;
  readonly upperCaseUuid: boolean;
}

export interface ModelStats {
  usersCreated: number;
  accountsDeleted: number;
  countryChanges: number;
  subscriptionsStarted: number;
  ghostUsers: number;
  retiredUsers: number;
}

interface User {
  readonly uuid: string;
  country: string;
  /** Languages the user subscribes to (started or still to start); lessons in others get `no_subscription`. */
  readonly languages: string[];
  /** Planned subscriptions not started yet. */
  readonly unstarted: string[];
  readonly subs: Sub[];
  alive: boolean;
  /** Position in `eligibleUsers`, -1 when not there. */
  usersIdx: number;
  /** Position in `startable`, -1 when not there. */
  startIdx: number;
}

interface Sub {
  readonly user: User;
  readonly language: string;
  type: string;
  status: string;
  /** Position in `eligibleSubs`, -1 when not there. */
  poolIdx: number;
}

interface Pending<T> {
  readonly item: T;
  readonly readyAt: number;
}

/**
 * A user's later events are only generated once their account (or subscription) event is this many seconds
 * old. With int rendering (floor) of the later event and float rendering (micro-second rounding) of the
 * earlier one, 2 s guarantee `created_at` strictly increases, so point-in-time enrichment is unambiguous.
 */
const SETTLE_SECONDS = 2;
/** Bounds memory at 1000x scale: beyond this many active users a random one goes quiet (no event). */
const MAX_ACTIVE_USERS = 250_000;
const MAX_GHOSTS = 2_000;
/** Share of lessons by users who have no account event at all (enrichment: no_account). */
const GHOST_LESSON_SHARE = 0.015;
/** Share of lessons in a language the user never subscribes to (enrichment: no_subscription). */
const UNSUBSCRIBED_LESSON_SHARE = 0.04;
/** Share of valid events whose event_uuid is sent in upper case (valid: the pipeline normalises it). */
const UPPER_CASE_UUID_SHARE = 0.0005;

const TYPE_RANK = new Map<string, number>([
  ['trial', 0],
  ['monthly', 1],
  ['quarterly', 2],
  ['yearly', 3],
  ['lifetime', 4],
]);
const RANKED_TYPES = ['monthly', 'quarterly', 'yearly', 'lifetime'] as const;

/** Swap-remove `item` from `pool`, keeping each element's stored index right. */
function removeAt<T>(pool: T[], index: number, setIndex: (item: T, index: number) => void): void {
  const last = pool.pop()!;
  if (index < pool.length) {
    pool[index] = last;
    setIndex(last, index);
  }
}

/**
 * The user population behind the traffic: who exists, which subscriptions they hold, and which event comes
 * next. Events are asked for in event-time order (`next(t)` with non-decreasing t), so "account before
 * subscription before lesson" holds by construction. Only live state is kept, never past events.
 */
export class TrafficModel {
  readonly stats: ModelStats = {
    usersCreated: 0,
    accountsDeleted: 0,
    countryChanges: 0,
    subscriptionsStarted: 0,
    ghostUsers: 0,
    retiredUsers: 0,
  };

  private readonly cumulative: number[];
  private readonly totalWeight: number;

  private readonly pendingUsers: Pending<User>[] = [];
  private pendingUsersHead = 0;
  private readonly pendingSubs: Pending<Sub>[] = [];
  private pendingSubsHead = 0;

  private readonly eligibleUsers: User[] = [];
  private readonly startable: User[] = [];
  private readonly eligibleSubs: Sub[] = [];
  private readonly ghosts: string[] = [];

  /** The envelope of the event being built. */
  private name = '';
  private createdAt = 0;
  private upperCaseUuid = false;

  constructor(private readonly rng: Prng) {
    let sum = 0;
    this.cumulative = EVENT_CATALOG.map((e) => (sum += e.weight));
    this.totalWeight = sum;
  }

  /** The next valid event at event time `t` (Unix seconds, fractional). */
  next(t: number): ModelEvent {
    this.promote(t);
    const name = this.pickName();
    if (name.startsWith('lesson:')) return this.lesson(name, t);
    if (name.startsWith('subscription:')) return this.subscription(name, t);
    if (name.startsWith('account:')) return this.account(name, t);
    const user =
      this.eligibleUsers.length > 0 && this.rng.chance(0.9)
        ? this.rng.pick(this.eligibleUsers).uuid
        : undefined;
    return this.emit(otherFields(this.rng, name, user, this.envelope(name, t)), undefined);
  }

  private pickName(): string {
    const x = this.rng.float() * this.totalWeight;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return EVENT_CATALOG[lo]!.name;
  }

  /**
   * Starts an event: the envelope comes first in the object, so one JSON.stringify writes it first and
   * makes one flat string (cheaper to hold and encode than a tree of concatenations).
   */
  private envelope(name: string, t: number): Fields {
    const createdAt = renderCreatedAt(this.rng, t);
    let uuid = this.rng.uuid();
    this.upperCaseUuid = this.rng.chance(UPPER_CASE_UUID_SHARE);
    if (this.upperCaseUuid) uuid = uuid.toUpperCase();
    this.name = name;
    this.createdAt = createdAt;
    return { event_uuid: uuid, event_name: name, created_at: createdAt };
  }

  private emit(event: Fields, lessonStatus: LessonStatus | undefined): ModelEvent {
    return {
      line: JSON.stringify(event),
      name: this.name,
      createdAt: this.createdAt,
      lessonStatus,
      upperCaseUuid: this.upperCaseUuid,
    };
  }

  /** Users and subscriptions whose first event has settled become usable for later events. */
  private promote(t: number): void {
    while (
      this.pendingUsersHead < this.pendingUsers.length &&
      this.pendingUsers[this.pendingUsersHead]!.readyAt <= t
    ) {
      const user = this.pendingUsers[this.pendingUsersHead++]!.item;
      user.usersIdx = this.eligibleUsers.push(user) - 1;
      if (user.unstarted.length > 0) user.startIdx = this.startable.push(user) - 1;
    }
    while (
      this.pendingSubsHead < this.pendingSubs.length &&
      this.pendingSubs[this.pendingSubsHead]!.readyAt <= t
    ) {
      const sub = this.pendingSubs[this.pendingSubsHead++]!.item;
      if (sub.user.alive) sub.poolIdx = this.eligibleSubs.push(sub) - 1;
    }
    if (this.pendingUsersHead > 4096 && this.pendingUsersHead * 2 > this.pendingUsers.length) {
      this.pendingUsers.splice(0, this.pendingUsersHead);
      this.pendingUsersHead = 0;
    }
    if (this.pendingSubsHead > 4096 && this.pendingSubsHead * 2 > this.pendingSubs.length) {
      this.pendingSubs.splice(0, this.pendingSubsHead);
      this.pendingSubsHead = 0;
    }
    while (this.eligibleUsers.length > MAX_ACTIVE_USERS) {
      this.removeUser(this.rng.pick(this.eligibleUsers));
      this.stats.retiredUsers++;
    }
  }

  private removeUser(user: User): void {
    user.alive = false;
    if (user.usersIdx >= 0) removeAt(this.eligibleUsers, user.usersIdx, (u, i) => (u.usersIdx = i));
    user.usersIdx = -1;
    if (user.startIdx >= 0) removeAt(this.startable, user.startIdx, (u, i) => (u.startIdx = i));
    user.startIdx = -1;
    for (const sub of user.subs) {
      if (sub.poolIdx >= 0) removeAt(this.eligibleSubs, sub.poolIdx, (s, i) => (s.poolIdx = i));
      sub.poolIdx = -1;
    }
  }

  // ---- accounts -------------------------------------------------------------------------------------

  private account(name: string, t: number): ModelEvent {
    if (name === 'account:created' || this.eligibleUsers.length === 0) return this.accountCreated(t);
    const user = this.rng.pick(this.eligibleUsers);
    const fields = this.envelope(name, t);
    fields.user_uuid = user.uuid;
    switch (name) {
      case 'account:updated':
        if (this.rng.chance(0.45)) {
          let country = this.rng.pick(COUNTRIES);
          while (country === user.country) country = this.rng.pick(COUNTRIES);
          user.country = country;
          fields.country = country;
          fields.updated_fields = ['country'];
          this.stats.countryChanges++;
        } else if (this.rng.chance(0.5)) {
          fields.locale = this.rng.pick(LOCALES);
          fields.updated_fields = ['locale'];
        } else {
          fields.marketing_opt_in = this.rng.chance(0.4);
          fields.updated_fields = ['marketing_opt_in'];
        }
        break;
      case 'account:deleted':
        fields.reason = this.rng.pick(['user_request', 'user_request', 'gdpr_erasure', 'fraud']);
        this.removeUser(user);
        this.stats.accountsDeleted++;
        break;
      default:
        fields.platform = this.rng.pick(PLATFORMS);
    }
    return this.emit(fields, undefined);
  }

  private accountCreated(t: number): ModelEvent {
    const rng = this.rng;
    const planned = rng.chance(0.7) ? 1 : rng.chance(0.73) ? 2 : 3;
    const languages: string[] = [];
    while (languages.length < planned) {
      const language = rng.pick(LANGUAGES);
      if (!languages.includes(language)) languages.push(language);
    }
    const user: User = {
      uuid: rng.uuid(),
      country: rng.pick(COUNTRIES),
      languages,
      unstarted: [...languages],
      subs: [],
      alive: true,
      usersIdx: -1,
      startIdx: -1,
    };
    this.pendingUsers.push({ item: user, readyAt: t + SETTLE_SECONDS });
    this.stats.usersCreated++;
    const fields = this.envelope('account:created', t);
    fields.user_uuid = user.uuid;
    fields.country = user.country;
    fields.locale = rng.pick(LOCALES);
    fields.signup_platform = rng.pick(PLATFORMS);
    fields.marketing_opt_in = rng.chance(0.35);
    fields.referral_source = rng.pick(REFERRAL_SOURCES);
    return this.emit(fields, undefined);
  }

  // ---- subscriptions --------------------------------------------------------------------------------

  private subscription(name: string, t: number): ModelEvent {
    const starts = name === 'subscription:started' || name === 'subscription:trial:started';
    if (starts && this.startable.length > 0) return this.subscriptionStarted(name, t);
    if (this.eligibleSubs.length === 0) {
      if (this.startable.length > 0) return this.subscriptionStarted('subscription:started', t);
      return this.accountCreated(t);
    }
    const eventName = starts ? 'subscription:renewed' : name;
    const sub = this.rng.pick(this.eligibleSubs);
    const fields = this.envelope(eventName, t);
    fields.user_uuid = sub.user.uuid;
    fields.language = sub.language;
    switch (eventName) {
      case 'subscription:renewed':
        if (sub.type === 'trial') sub.type = this.rng.pick(PAID_SUBSCRIPTION_TYPES);
        sub.status = 'active';
        this.full(fields, sub);
        break;
      case 'subscription:upgraded':
      case 'subscription:downgraded': {
        const rank = TYPE_RANK.get(sub.type) ?? 1;
        const target = eventName === 'subscription:upgraded' ? Math.min(rank + 1, 4) : Math.max(rank - 1, 1);
        sub.type = RANKED_TYPES[target - 1]!;
        sub.status = 'active';
        this.full(fields, sub);
        break;
      }
      case 'subscription:trial:converted':
        sub.type = this.rng.pick(PAID_SUBSCRIPTION_TYPES);
        sub.status = 'active';
        this.full(fields, sub);
        break;
      case 'subscription:cancelled':
        sub.status = 'cancelled';
        fields.subscription_status = sub.status;
        fields.cancel_reason = this.rng.pick(['too_expensive', 'no_time', 'reached_goal', 'other']);
        break;
      case 'subscription:paused':
        sub.status = 'paused';
        fields.subscription_status = sub.status;
        break;
      case 'subscription:resumed':
        sub.status = 'active';
        fields.subscription_status = sub.status;
        break;
      case 'subscription:expired':
        sub.status = 'expired';
        fields.subscription_status = sub.status;
        break;
      default:
        // subscription:payment:failed: a partial update that sets neither type nor status.
        fields.failure_reason = this.rng.pick(['card_declined', 'insufficient_funds', 'expired_card']);
        fields.attempt = this.rng.between(1, 4);
    }
    return this.emit(fields, undefined);
  }

  private full(fields: Fields, sub: Sub): void {
    fields.subscription_type = sub.type;
    fields.subscription_status = sub.status;
    fields.price = this.rng.pick([9.99, 12.95, 29.99, 59.99, 83.4]);
    fields.currency = this.rng.pick(['EUR', 'USD', 'GBP']);
  }

  /** The first event of a (user, language) subscription always carries both type and status. */
  private subscriptionStarted(name: string, t: number): ModelEvent {
    const user = this.rng.pick(this.startable);
    const language = user.unstarted.pop()!;
    if (user.unstarted.length === 0) {
      removeAt(this.startable, user.startIdx, (u, i) => (u.startIdx = i));
      user.startIdx = -1;
    }
    const trial = name === 'subscription:trial:started';
    const sub: Sub = {
      user,
      language,
      type: trial ? 'trial' : this.rng.pick(PAID_SUBSCRIPTION_TYPES),
      status: 'active',
      poolIdx: -1,
    };
    user.subs.push(sub);
    this.pendingSubs.push({ item: sub, readyAt: t + SETTLE_SECONDS });
    this.stats.subscriptionsStarted++;
    const fields = this.envelope(name, t);
    fields.user_uuid = user.uuid;
    fields.language = language;
    this.full(fields, sub);
    return this.emit(fields, undefined);
  }

  // ---- lessons --------------------------------------------------------------------------------------

  private lesson(name: string, t: number): ModelEvent {
    const rng = this.rng;
    const roll = rng.float();
    let user: string;
    let language: string;
    let status: LessonStatus;
    if (roll < GHOST_LESSON_SHARE || this.eligibleUsers.length === 0) {
      user = this.ghost();
      language = rng.pick(LANGUAGES);
      status = 'no_account';
    } else if (roll < GHOST_LESSON_SHARE + UNSUBSCRIBED_LESSON_SHARE || this.eligibleSubs.length === 0) {
      const u = rng.pick(this.eligibleUsers);
      user = u.uuid;
      language = rng.pick(LANGUAGES);
      while (u.languages.includes(language)) language = rng.pick(LANGUAGES);
      status = 'no_subscription';
    } else {
      const sub = rng.pick(this.eligibleSubs);
      user = sub.user.uuid;
      language = sub.language;
      status = 'enriched';
    }
    const fields = this.envelope(name, t);
    fields.user_uuid = user;
    fields.language = language;
    fields.lesson_id = lessonId(rng, language);
    switch (name) {
      case 'lesson:started':
        fields.platform = rng.pick(PLATFORMS);
        break;
      case 'lesson:completed':
        fields.duration_seconds = rng.between(60, 1800);
        fields.score = rng.between(20, 100);
        fields.xp = rng.between(5, 60);
        break;
      case 'lesson:abandoned':
        fields.duration_seconds = rng.between(5, 900);
        fields.progress_percent = rng.between(0, 95);
        break;
      case 'lesson:paused':
      case 'lesson:resumed':
        fields.position_seconds = rng.between(0, 1200);
        break;
      case 'lesson:exercise:answered':
        fields.exercise_id = `ex${rng.between(1, 30)}`;
        fields.correct = rng.chance(0.8);
        fields.attempt = rng.between(1, 3);
        break;
      case 'lesson:rated':
        fields.rating = rng.between(1, 5);
        break;
      default:
        fields.exercise_id = `ex${rng.between(1, 30)}`;
    }
    return this.emit(fields, status);
  }

  /** A user who never sends an account event: some come back for several lessons. */
  private ghost(): string {
    if (this.ghosts.length > 0 && this.rng.chance(0.7)) return this.rng.pick(this.ghosts);
    const uuid = this.rng.uuid();
    this.stats.ghostUsers++;
    if (this.ghosts.length < MAX_GHOSTS) this.ghosts.push(uuid);
    else this.ghosts[this.rng.int(MAX_GHOSTS)] = uuid;
    return uuid;
  }
}
