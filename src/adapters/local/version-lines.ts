import { FOLDED_BASE_UUID, type StateVersion, type VersionWrite } from '../../ports/state-store';
import { isFiniteNumber } from '../state-store-checks';

/**
 * The line formats of the file state store's version files (the log `versions.ndjson`: a line per version;
 * the sorted `versions.sorted.ndjson`: a line per entity), and how versions are replayed into an entity's state.
 */

/** The line format: short, stable field names, `entity` first (see `entityOfLine`). `foldedSince` only on base lines. */
interface LogLine {
  readonly entity: string;
  readonly eventUuid: string;
  readonly createdAt: number;
  readonly fields: Readonly<Record<string, string>>;
  readonly foldedSince?: number;
}

/** One line, newline included. */
export function toLogLine(write: VersionWrite): string {
  const { eventUuid, createdAt, fields, foldedSince } = write.version;
  const line: LogLine = {
    entity: write.entity,
    eventUuid,
    createdAt,
    fields,
    ...(foldedSince === undefined ? {} : { foldedSince }),
  };
  return `${JSON.stringify(line)}\n`;
}

/** Parses one line; returns what is wrong with it as a string. */
export function parseLogLine(line: string): VersionWrite | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  return asLogLine(json);
}

/**
 * The versions in one entity's lines in the sorted file (whole lines, each ended by a newline): its state
 * line (`stateLine`), or, in a file written before state lines, one version line per version (`toLogLine`).
 * Returns what is wrong, and on which line, as a string (a line that does not parse, or names another entity).
 */
export function entityVersions(entity: string, text: string, dictionary: readonly Fields[]): StateVersion[] | string {
  if (text.indexOf('\n') === text.length - 1) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return `not JSON (${(error as Error).message})`;
    }
    if (isRecord(json) && json.versions !== undefined) return stateVersions(entity, json, dictionary);
  }
  const versions: StateVersion[] = [];
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    const end = text.indexOf('\n', start);
    if (end < 0) return `line ${line}: no newline`;
    const write = parseLogLine(text.slice(start, end));
    if (typeof write === 'string') return `line ${line}: ${write}`;
    if (write.entity !== entity) return `line ${line}: ${write.entity} among ${entity}'s lines`;
    versions.push(write.version);
    start = end + 1;
  }
  return versions;
}

/** The versions of a parsed state line, checked. */
function stateVersions(entity: string, json: Record<string, unknown>, dictionary: readonly Fields[]): StateVersion[] | string {
  if (json.entity !== entity) return `the state line of ${String(json.entity)} where ${entity}'s was expected`;
  if (!Array.isArray(json.versions)) return '"versions" must be an array';
  const versions: StateVersion[] = [];
  for (const [i, item] of (json.versions as unknown[]).entries()) {
    const [eventUuid, createdAt, written, foldedSince] = Array.isArray(item) ? (item as unknown[]) : [];
    const size = Array.isArray(item) ? item.length : 0;
    // Dictionary entries were checked when the dictionary was read.
    const fields = typeof written === 'number' ? dictionary[written] : isStringRecord(written) ? written : undefined;
    if ((size !== 3 && size !== 4) || typeof eventUuid !== 'string' || !isFiniteNumber(createdAt) || fields === undefined) {
      return `version ${i + 1}: expected [eventUuid (string), createdAt (number), fields (a number of the file's fields dictionary, or an object of strings), foldedSince (number, on a base only)]`;
    }
    if (size === 3) versions.push({ eventUuid, createdAt, fields });
    else if (isFiniteNumber(foldedSince)) versions.push({ eventUuid, createdAt, fields, foldedSince });
    else return `version ${i + 1}: foldedSince must be a number`;
  }
  return versions;
}

function asLogLine(json: unknown): VersionWrite | string {
  if (!isRecord(json)) return 'not a JSON object';
  const { entity, eventUuid, createdAt, fields, foldedSince } = json;
  if (typeof entity !== 'string' || typeof eventUuid !== 'string' || !isFiniteNumber(createdAt)) {
    return 'expected {"entity": string, "eventUuid": string, "createdAt": number, "fields": object}';
  }
  if (!isStringRecord(fields)) return '"fields" must be an object of strings';
  if (foldedSince === undefined) return { entity, version: { eventUuid, createdAt, fields } };
  if (!isFiniteNumber(foldedSince)) return '"foldedSince" must be a number';
  return { entity, version: { eventUuid, createdAt, fields, foldedSince } };
}

/** How every version line and state line starts. */
export const ENTITY_PREFIX = '{"entity":"';

/**
 * A line's entity. A line that starts as `toLogLine` or `stateLine` writes it (a name with no escape) is not
 * parsed past the name: lookups check it before parsing, and merges of a file without index group its lines
 * by it. Any other line is parsed; undefined when it is neither a version line nor a state line.
 */
export function entityOfLine(line: string): string | undefined {
  if (line.startsWith(ENTITY_PREFIX)) {
    const end = line.indexOf('"', ENTITY_PREFIX.length);
    const name = line.slice(ENTITY_PREFIX.length, end);
    if (end > 0 && !name.includes('\\')) return name;
  }
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  // A state line (its versions are checked when it is read), else a version line.
  if (isRecord(json) && json.versions !== undefined) return typeof json.entity === 'string' ? json.entity : undefined;
  const write = asLogLine(json);
  return typeof write === 'string' ? undefined : write.entity;
}

/**
 * Replays one line into an entity's versions (`eventUuid -> version`):
 * - a version is added unless its eventUuid is there already (first wins) or it is at or before the base's
 *   createdAt (the fold never keeps such a version: it was folded);
 * - a base replaces the base and drops the versions it folded (createdAt at or before its own), unless it is
 *   older than the base already there.
 * The two "unless" make replaying lines a second time a no-op: replay(A, B, B) = replay(A, B) when B's lines
 * were written by the fold (src/adapters/version-fold.ts). That is what lets a compaction crash between
 * writing the sorted file and emptying the log (FileStateStore.compact) lose nothing and add nothing.
 */
export function replayVersion(byUuid: Map<string, StateVersion>, version: StateVersion): void {
  const base = byUuid.get(FOLDED_BASE_UUID);
  if (version.eventUuid === FOLDED_BASE_UUID) {
    if (base !== undefined && version.createdAt < base.createdAt) return;
    for (const [uuid, kept] of byUuid) if (kept.createdAt <= version.createdAt) byUuid.delete(uuid);
    byUuid.set(FOLDED_BASE_UUID, version);
  } else if (!byUuid.has(version.eventUuid) && (base === undefined || version.createdAt > base.createdAt)) {
    byUuid.set(version.eventUuid, version);
  }
}

/** A version's fields. */
export type Fields = Readonly<Record<string, string>>;

/** Entries a fields dictionary grows to; fields not in it by then are written in the line itself. */
const MAX_DICTIONARY_FIELDS = 65_536;

/**
 * The distinct `fields` objects of a sorted file, numbered: a state line holds a version's fields as its
 * number here (the 33 distinct ones of 10M events: a country, or a subscription's type and status), so a
 * lookup neither parses nor allocates them, and all versions with equal fields share one frozen object.
 * A merge starts from the old file's dictionary and only appends, so the lines it copies keep their numbers.
 */
export class FieldsDictionary {
  readonly entries: Fields[] = [];
  private readonly ids = new Map<string, number>();

  /** Starts from `existing` exactly as numbered (entries and all), so the lines that hold its numbers still read. */
  constructor(existing: readonly Fields[]) {
    for (const fields of existing) {
      const key = JSON.stringify(fields);
      if (!this.ids.has(key)) this.ids.set(key, this.entries.length);
      this.entries.push(Object.freeze({ ...fields }));
    }
  }

  /** The fields' number, or undefined once the dictionary is full. */
  idOf(fields: Fields): number | undefined {
    const key = JSON.stringify(fields);
    let id = this.ids.get(key);
    if (id === undefined && this.entries.length < MAX_DICTIONARY_FIELDS) {
      id = this.entries.push(Object.freeze({ ...fields })) - 1;
      this.ids.set(key, id);
    }
    return id;
  }
}

/** A fields dictionary as written (one JSON array), checked and frozen; what is wrong as a string. */
export function parseFieldsDictionary(text: string): Fields[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (!Array.isArray(json) || !json.every(isStringRecord)) return 'expected an array of objects of strings';
  return json.map((fields: Fields) => Object.freeze(fields));
}

/**
 * An entity's state as the sorted file holds it: ONE line, `{"entity": ..., "versions": [[eventUuid, createdAt,
 * fields(, foldedSince)], ...]}`, its base first, so that replaying the versions in order gives the same state;
 * `fields` is its number in the file's `FieldsDictionary`, or the object itself once that is full. No versions,
 * no line.
 * One line of arrays instead of a line per version: a lookup parses an entity's state in one JSON.parse of
 * about a third of the bytes, without the entity and the field names again for every version (docs/performance.md).
 */
export function stateLine(entity: string, byUuid: ReadonlyMap<string, StateVersion>, dictionary: FieldsDictionary): string {
  if (byUuid.size === 0) return '';
  const base = byUuid.get(FOLDED_BASE_UUID);
  const ordered = base === undefined ? [...byUuid.values()] : [base, ...[...byUuid.values()].filter((version) => version !== base)];
  const versions = ordered.map(({ eventUuid, createdAt, fields, foldedSince }) => {
    const written = dictionary.idOf(fields) ?? fields;
    return foldedSince === undefined ? [eventUuid, createdAt, written] : [eventUuid, createdAt, written, foldedSince];
  });
  return `${JSON.stringify({ entity, versions })}\n`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((field) => typeof field === 'string');
}
