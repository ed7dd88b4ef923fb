import { InvalidInputError } from '../errors';
import { FOLDED_BASE_UUID, type EntityKey, type StateVersion, type VersionWrite } from '../ports/state-store';

/**
 * The bounded-history rule of every StateStore adapter (src/ports/state-store.ts, "Bounded history"), as
 * pure functions, so the file store and the DynamoDB store keep exactly the same state for the same writes.
 *
 * Why a bound: the DynamoDB store keeps one item per entity, and "The maximum item size in DynamoDB is
 * 400 KB, which includes both attribute name binary length (UTF-8 length) and attribute value lengths"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).
 * An UpdateItem/PutItem past it fails with a ValidationException on every retry: the pipeline would wedge.
 * Measured figures and the trade-off: docs/aws-adapters.md, "User-state items stay bounded".
 */

/** The pipeline's default horizon (`dedupHorizonDays` in src/pipeline/config.ts; adapters do not import it). */
export const DEFAULT_HORIZON_DAYS = 7;
/** Most versions an entity keeps besides its base. */
export const MAX_KEPT_VERSIONS = 2000;
/**
 * Budget of an entity's `versions` map, counted as DynamoDB counts item size: 300 KB, leaving 100 KB of the
 * 400 KB item for the key (at most ~1.1 KB, see dynamodb-items.ts `stateItemKey`), the revision and slack.
 */
export const VERSIONS_BUDGET_BYTES = 300 * 1024;
/** A stored field value is cut to this many UTF-8 bytes (at a character boundary): event data is unbounded. */
export const MAX_FIELD_VALUE_BYTES = 1024;
/** Field names are the pipeline's own (`country`, ...), never event data: more or longer is a caller bug. */
export const MAX_FIELDS_PER_VERSION = 16;
export const MAX_FIELD_NAME_BYTES = 64;
export const MAX_EVENT_UUID_BYTES = 128;

const SECONDS_PER_DAY = 86_400;

export interface FoldLimits {
  /** Versions older than the entity's newest by more than this are folded into the base. */
  readonly horizonSeconds: number;
  readonly maxVersions: number;
  readonly maxBytes: number;
}

/** The limits of a store whose horizon is `horizonDays` (the store's constructor option). */
export function foldLimits(horizonDays: number = DEFAULT_HORIZON_DAYS): FoldLimits {
  if (typeof horizonDays !== 'number' || !Number.isFinite(horizonDays) || horizonDays < 0) {
    throw new InvalidInputError(
      `state horizon must be a non-negative number of days, got ${String(horizonDays)}`,
    );
  }
  return {
    horizonSeconds: horizonDays * SECONDS_PER_DAY,
    maxVersions: MAX_KEPT_VERSIONS,
    maxBytes: VERSIONS_BUDGET_BYTES,
  };
}

/** `value` cut to its first MAX_FIELD_VALUE_BYTES UTF-8 bytes, never inside a character. */
export function cutFieldValue(value: string): string {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short strings need no counting.
  if (
    value.length * 3 <= MAX_FIELD_VALUE_BYTES ||
    Buffer.byteLength(value, 'utf8') <= MAX_FIELD_VALUE_BYTES
  ) {
    return value;
  }
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > MAX_FIELD_VALUE_BYTES) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end);
}

/** The stored form of a written version: a copy, its field values cut (`cutFieldValue`). */
export function storedVersion(version: StateVersion): StateVersion {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(version.fields)) fields[name] = cutFieldValue(value);
  return { eventUuid: version.eventUuid, createdAt: version.createdAt, fields };
}

/** Writes grouped by entity, each group in the writes' order. */
export function groupByEntity(writes: readonly VersionWrite[]): Map<EntityKey, StateVersion[]> {
  const groups = new Map<EntityKey, StateVersion[]>();
  for (const { entity, version } of writes) {
    let group = groups.get(entity);
    if (group === undefined) groups.set(entity, (group = []));
    group.push(version);
  }
  return groups;
}

export interface FoldResult {
  /** The entity's versions after the write: the base first (if any), then the kept ones in event-time order. */
  readonly versions: readonly StateVersion[];
  /** False when the write changes nothing (every version already there or dropped): nothing to store. */
  readonly changed: boolean;
  /** The base after the write, when the write created or changed it. */
  readonly newBase: StateVersion | undefined;
  /** The written versions that are kept as versions (not dropped, not folded), in the writes' order. */
  readonly added: readonly StateVersion[];
}

/**
 * Adds `incoming` (stored forms, see `storedVersion`) to an entity's `current` versions, then folds:
 * 1. put-if-absent by eventUuid, first wins (within `incoming` too); a version at or before the current
 *    base's createdAt is dropped (folded history is not rewritten);
 * 2. versions older than the newest minus the horizon are folded into the base;
 * 3. then the oldest beyond `maxVersions`;
 * 4. then the oldest while the map is over `maxBytes` (`versionsMapBytes`);
 * 5. if the base alone is still over budget (only with hundreds of distinct field names), it drops its
 *    largest fields.
 * Folding takes whole runs of equal createdAt, so every kept version is strictly newer than the base.
 */
export function applyVersions(
  current: readonly StateVersion[],
  incoming: readonly StateVersion[],
  limits: FoldLimits,
): FoldResult {
  let base: StateVersion | undefined;
  const byUuid = new Map<string, StateVersion>();
  for (const version of current) {
    if (version.eventUuid === FOLDED_BASE_UUID) base = version;
    else byUuid.set(version.eventUuid, version);
  }
  const accepted: StateVersion[] = [];
  for (const version of incoming) {
    if (version.eventUuid === FOLDED_BASE_UUID || byUuid.has(version.eventUuid)) continue;
    if (base !== undefined && version.createdAt <= base.createdAt) continue;
    byUuid.set(version.eventUuid, version);
    accepted.push(version);
  }
  const folded = fold(base, [...byUuid.values()], limits);
  const kept = new Set(folded.kept.map((version) => version.eventUuid));
  const newBase = folded.base !== base ? folded.base : undefined;
  return {
    versions: folded.base === undefined ? folded.kept : [folded.base, ...folded.kept],
    changed: accepted.length > 0 || newBase !== undefined,
    newBase,
    added: accepted.filter((version) => kept.has(version.eventUuid)),
  };
}

/** Event-time order; ties by uuid, as EntityTimeline (src/pipeline/user-state.ts) folds. */
export function byEventTime(a: StateVersion, b: StateVersion): number {
  return a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.eventUuid < b.eventUuid ? -1 : 1;
}

function fold(
  base: StateVersion | undefined,
  versions: StateVersion[],
  limits: FoldLimits,
): { base: StateVersion | undefined; kept: StateVersion[] } {
  const sorted = versions.sort(byEventTime);
  const count = sorted.length;
  if (count === 0) return { base, kept: sorted };
  const cutoff = (sorted[count - 1] as StateVersion).createdAt - limits.horizonSeconds;
  let k = 0;
  while (k < count && (sorted[k] as StateVersion).createdAt < cutoff) k += 1;
  k = runEnd(sorted, Math.max(k, count - limits.maxVersions));

  const builder = new BaseBuilder(base);
  for (let i = 0; i < k; i += 1) builder.add(sorted[i] as StateVersion);
  let keptBytes = 0;
  for (let i = k; i < count; i += 1) keptBytes += versionEntryBytes(sorted[i] as StateVersion);
  while (k < count && MAP_OVERHEAD_BYTES + builder.bytes() + keptBytes > limits.maxBytes) {
    const end = runEnd(sorted, k + 1);
    for (; k < end; k += 1) {
      builder.add(sorted[k] as StateVersion);
      keptBytes -= versionEntryBytes(sorted[k] as StateVersion);
    }
  }
  if (k === 0) return { base, kept: sorted };
  return { base: builder.build(limits.maxBytes - MAP_OVERHEAD_BYTES - keptBytes), kept: sorted.slice(k) };
}

/** The smallest index >= `k` that does not split a run of equal createdAt. */
function runEnd(sorted: readonly StateVersion[], k: number): number {
  let end = Math.min(k, sorted.length);
  while (end > 0 && end < sorted.length && sorted[end]?.createdAt === sorted[end - 1]?.createdAt) end += 1;
  return end;
}

class BaseBuilder {
  private readonly fields: Record<string, string>;
  private createdAt: number | undefined;
  private foldedSince: number | undefined;

  constructor(base: StateVersion | undefined) {
    this.fields = { ...base?.fields };
    this.createdAt = base?.createdAt;
    this.foldedSince = base === undefined ? undefined : (base.foldedSince ?? base.createdAt);
  }

  get empty(): boolean {
    return this.createdAt === undefined;
  }

  /** Folds `version`, which is newer than everything folded so far. */
  add(version: StateVersion): void {
    Object.assign(this.fields, version.fields);
    this.createdAt = version.createdAt;
    this.foldedSince ??= version.createdAt;
  }

  bytes(): number {
    return this.empty ? 0 : versionEntryBytes(this.build(Infinity));
  }

  /** The base, its largest fields dropped (ties by name) while it is over `budget` bytes. */
  build(budget: number): StateVersion {
    const fields = { ...this.fields };
    const base = (): StateVersion => ({
      eventUuid: FOLDED_BASE_UUID,
      createdAt: this.createdAt ?? 0,
      fields,
      ...(this.foldedSince !== undefined && this.foldedSince < (this.createdAt ?? 0)
        ? { foldedSince: this.foldedSince }
        : {}),
    });
    let size = versionEntryBytes(base());
    if (size <= budget) return base();
    const largestFirst = Object.entries(fields)
      .map(([name, value]) => ({ name, bytes: fieldBytes(name, value) }))
      .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1));
    for (const { name, bytes } of largestFirst) {
      if (size <= budget) break;
      delete fields[name];
      size -= bytes;
    }
    return base();
  }
}

// ---------------------------------------------------------------- size, as DynamoDB counts it

/*
 * "DynamoDB item sizes and formats"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html): an
 * attribute is its name's UTF-8 bytes plus its value; a string its UTF-8 bytes; a number about 1 byte per
 * two significant digits plus 1 (one digit of slack added here); a Map 3 bytes plus 1 byte per element plus
 * its elements. Applied to the layout dynamodb-items.ts writes: `versions` = Map of eventUuid ->
 * Map {createdAt N, fields Map of S, foldedSince N (base only)}.
 */

/** `versions` (8) and the Map's own 3 bytes. */
const MAP_OVERHEAD_BYTES = 8 + 3;

/** Bytes of an entity's `versions` map attribute, name included. */
export function versionsMapBytes(versions: readonly StateVersion[]): number {
  return versions.reduce((sum, version) => sum + versionEntryBytes(version), MAP_OVERHEAD_BYTES);
}

/**
 * What `versionEntryBytes` measured, by version: a version is immutable (StateVersion is readonly), and a fold
 * measures every kept version of the entity again (the file store folds an entity's whole history at each write:
 * measuring was 40% of FileStateStore.putVersions' time, numberBytes' string work most of it).
 */
const measuredEntryBytes = new WeakMap<StateVersion, number>();

/** Bytes one version adds to the `versions` map: element byte, uuid name, value. */
export function versionEntryBytes(version: StateVersion): number {
  let bytes = measuredEntryBytes.get(version);
  if (bytes === undefined) {
    bytes = measureEntryBytes(version);
    measuredEntryBytes.set(version, bytes);
  }
  return bytes;
}

function measureEntryBytes(version: StateVersion): number {
  let fields = 3;
  for (const [name, value] of Object.entries(version.fields)) fields += fieldBytes(name, value);
  return (
    1 +
    utf8Bytes(version.eventUuid) +
    3 +
    (1 + 'createdAt'.length + numberBytes(version.createdAt)) +
    (1 + 'fields'.length + fields) +
    (version.foldedSince === undefined ? 0 : 1 + 'foldedSince'.length + numberBytes(version.foldedSince))
  );
}

function fieldBytes(name: string, value: string): number {
  return 1 + utf8Bytes(name) + utf8Bytes(value);
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A number as DynamoDB stores `String(n)`: 1 byte per two significant digits, plus 1, plus 1 of slack. */
export function numberBytes(n: number): number {
  // The significant digits of the mantissa: from its first non-zero digit to its last, the dot not counted.
  const text = String(Math.abs(n));
  let first = -1;
  let last = -1;
  let digit = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) continue; // .
    if (c < 0x30 || c > 0x39) break; // e: the exponent takes no digits
    if (c !== 0x30) {
      if (first === -1) first = digit;
      last = digit;
    }
    digit++;
  }
  if (first === -1) return 1;
  const digits = last - first + 1;
  return 1 + Math.ceil((digits + 1) / 2) + (n < 0 ? 1 : 0);
}
