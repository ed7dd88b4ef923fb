import type { ValidEvent } from '../contract/types';
import type { StateVersion, VersionWrite } from '../ports/state-store';
import { accountKey, subscriptionKey } from './entity-key';

const ACCOUNT_FIELDS = ['country'] as const;
const SUBSCRIPTION_FIELDS = ['subscription_type', 'subscription_status'] as const;

/**
 * The state-store version an account or subscription event contributes, or undefined for other events.
 * Only the fields the event sets are stored, so a partial update keeps earlier values when folded.
 */
export function versionWriteFor(event: ValidEvent): VersionWrite | undefined {
  if (event.user_uuid === null) return undefined;
  if (event.event_type === 'account') {
    return { entity: accountKey(event.user_uuid), version: versionOf(event, ACCOUNT_FIELDS) };
  }
  if (event.event_type === 'subscription' && event.language !== null) {
    return { entity: subscriptionKey(event.user_uuid, event.language), version: versionOf(event, SUBSCRIPTION_FIELDS) };
  }
  return undefined;
}

function versionOf(event: ValidEvent, names: readonly string[]): StateVersion {
  const fields: Record<string, string> = {};
  for (const name of names) {
    const value = event.body[name];
    if (typeof value === 'string') fields[name] = value;
  }
  return { eventUuid: event.event_uuid, createdAt: event.created_at, fields };
}

/**
 * Point-in-time view of one entity: the fold of every version with createdAt <= t, in event-time order
 * (ties broken by event uuid so the answer never depends on arrival order).
 *
 * The stores fold history older than their horizon into one base version (src/ports/state-store.ts,
 * "Bounded history"), always older than every other version. Its state holds from its `foldedSince` (the
 * oldest folded version's time) on: exact from its createdAt, the base state before that, nothing before
 * `foldedSince`.
 */
export class EntityTimeline {
  private readonly times: readonly number[];
  private readonly states: readonly Readonly<Record<string, string>>[];

  constructor(versions: readonly StateVersion[]) {
    ({ times: this.times, states: this.states } = foldVersions(versions));
  }

  /** The folded state as of `t` (inclusive), or undefined when no version is that old. */
  asOf(t: number): Readonly<Record<string, string>> | undefined {
    const at = lastAtOrBefore(this.times, 0, this.times.length, t);
    return at < 0 ? undefined : this.states[at];
  }
}

/** An entity's versions folded: from `times[i]` on, its state is `states[i]`; the times sorted. */
export interface FoldedTimeline {
  readonly times: number[];
  readonly states: Readonly<Record<string, string>>[];
}

/** The fold EntityTimeline answers from (and TimelineCache keeps in arrays of its own). */
export function foldVersions(versions: readonly StateVersion[]): FoldedTimeline {
  const sorted = [...versions].sort((a, b) =>
    a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.eventUuid < b.eventUuid ? -1 : 1,
  );
  // Only the first version may start earlier than its createdAt: the times stay sorted.
  const times = sorted.map((v, i) =>
    i === 0 && v.foldedSince !== undefined && v.foldedSince < v.createdAt ? v.foldedSince : v.createdAt,
  );
  let state: Record<string, string> = {};
  const states = sorted.map((v) => (state = { ...state, ...v.fields }));
  return { times, states };
}

/** The last index in [from, to) of sorted `times` whose time is <= t (inclusive), or -1 when none is. */
export function lastAtOrBefore(times: ArrayLike<number>, from: number, to: number, t: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === from ? -1 : lo - 1;
}
