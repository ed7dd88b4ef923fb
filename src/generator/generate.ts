import { QUARANTINE_REASONS } from '../contract/reasons';
import { InvalidInputError } from '../errors';
import type { ObjectStore } from '../ports/object-store';
import { ArrivalQueue } from './arrival-queue';
import { EVENT_NAMES } from './catalog';
import { DuplicateSources } from './duplicate-sources';
import { FirehoseWriter, type ClosedObject } from './firehose-writer';
import { malformedLine, type MalformedContext } from './malformed';
import { Prng } from './prng';
import { JitteredSchedule } from './schedule';
import { TrafficModel, type LessonStatus } from './traffic-model';

export interface GenerateOptions {
  /** Valid distinct events to generate (before duplicates, malformed and blank lines are added). */
  events: number;
  /** First event time (UTC). */
  start: Date;
  /** Events are spread evenly-ish over [start, start + hours). */
  hours: number;
  /** Same seed + options => byte-identical objects and keys. Any safe integer. */
  seed: number;
  /** Extra exact-duplicate lines, as a fraction of `events` (0..1). @default 0.01 */
  duplicateRate?: number;
  /** Extra malformed lines, as a fraction of `events` (0..1). @default 0.001 */
  malformedRate?: number;
  /** Extra empty lines, as a fraction of `events` (0..1). @default 0.0001 */
  blankRate?: number;
  /** Firehose delivery stream name (the object name prefix). @default 'eventlake-raw' */
  streamName?: string;
  /** Uncompressed bytes per object before rolling over (Firehose buffer size). @default 8 MiB */
  objectMaxBytes?: number;
  /** Arrival seconds per object before rolling over (Firehose buffer interval). @default 300 */
  objectMaxSeconds?: number;
  /** GZIP objects as Firehose does; false writes plain NDJSON. @default true */
  gzip?: boolean;
  /** Called about every 50,000 events and once at the end. */
  onProgress?: (p: { events: number; objects: number }) => void;
  /**
   * Called once per valid distinct event, in generation order, with its line (as sent, before any duplicate
   * or malformed copy) and its arrival time: ground truth for checks the summary's counts do not cover
   * (tests/sql/saved-queries.test.ts: daily learners, hourly counts, lags).
   */
  onEvent?: (event: GeneratedEvent) => void;
}

/** A valid distinct event as `onEvent` sees it. */
export interface GeneratedEvent {
  readonly line: string;
  readonly name: string;
  /** `created_at` in Unix seconds. */
  readonly createdAt: number;
  /** When it reached Firehose (Unix seconds): its object's hour prefix. */
  readonly arrival: number;
}

/** What a correct pipeline run over the generated objects must report. */
export interface ExpectedOutcome {
  /** Curated rows: every valid event once (= validEvents). */
  inserted: number;
  /** Quarantined lines (= malformed). */
  quarantined: number;
  /** Distinct users with an `account:created` event. */
  usersWithAccount: number;
  /** Distinct users who take lessons but never send an account event. */
  usersWithoutAccount: number;
  accountEvents: number;
  subscriptionEvents: number;
  /** Distinct (user, language) subscriptions. */
  subscriptions: number;
  /** `account:updated` events that change `country`. */
  countryChanges: number;
  accountsDeleted: number;
  lessons: number;
  /** `enrichment_status` counts over all curated rows. */
  enrichment: Record<LessonStatus | 'not_applicable', number>;
  eventsByType: Record<string, number>;
  eventsByName: Record<string, number>;
  /** Curated rows per `event_date` (UTC date of created_at). */
  eventDates: Record<string, number>;
  /** Distinct (event_type, event_date) partitions. */
  partitions: number;
  /** Valid events whose event_uuid is upper case (valid: normalised to lower case). */
  upperCaseUuids: number;
  intCreatedAt: number;
  floatCreatedAt: number;
  /** Valid events that arrive under a later hour prefix than their event hour. */
  lateHourArrivals: number;
}

export interface GenerateSummary {
  objects: number;
  /** All lines written: valid + exact duplicates + malformed + blank. */
  lines: number;
  validEvents: number;
  exactDuplicates: number;
  /** Exact duplicates written into the same object as their original ... */
  duplicatesSameObject: number;
  /** ... or into a later object. */
  duplicatesLaterObject: number;
  malformed: number;
  /** Quarantine reason (src/contract/reasons.ts) => lines; only reasons that occur. */
  malformedByReason: Record<string, number>;
  /** `<reason>/<variant>` => lines. */
  malformedByVariant: Record<string, number>;
  blankLines: number;
  uncompressedBytes: number;
  storedBytes: number;
  firstKey: string;
  lastKey: string;
  expected: ExpectedOutcome;
}

const DAY_SECONDS = 86_400;
const NAME_INDEX = new Map(EVENT_NAMES.map((name, i) => [name, i]));
const TYPE_OF = EVENT_NAMES.map((name) => name.slice(0, name.indexOf(':')));
const YEAR_2000_SECONDS = 946_684_800;
const PROGRESS_EVERY = 50_000;
/** 97 % of events reach Firehose within 2 minutes, the rest within 2 to 6 minutes. */
const SLOW_DELIVERY_SHARE = 0.03;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

interface ResolvedOptions {
  readonly events: number;
  readonly startSeconds: number;
  readonly hours: number;
  readonly seed: number;
  readonly duplicateRate: number;
  readonly malformedRate: number;
  readonly blankRate: number;
  readonly streamName: string;
  readonly objectMaxBytes: number;
  readonly objectMaxSeconds: number;
  readonly gzip: boolean;
}

function fail(message: string): never {
  throw new InvalidInputError(`generate: ${message}`);
}

function rate(name: string, value: number | undefined, fallback: number): number {
  const r = value ?? fallback;
  if (!Number.isFinite(r) || r < 0 || r > 1) fail(`${name} must be a number in [0, 1], got ${r}`);
  return r;
}

function resolveOptions(o: GenerateOptions): ResolvedOptions {
  if (!Number.isSafeInteger(o.events) || o.events < 1)
    fail(`events must be a positive integer, got ${o.events}`);
  const startMs = o.start instanceof Date ? o.start.getTime() : Number.NaN;
  if (!Number.isFinite(startMs)) fail('start must be a valid Date');
  if (startMs < YEAR_2000_SECONDS * 1000)
    fail(`start must be on or after 2000-01-01T00:00:00Z, got ${o.start.toISOString()}`);
  if (!Number.isFinite(o.hours) || o.hours <= 0) fail(`hours must be a positive number, got ${o.hours}`);
  if (!Number.isSafeInteger(o.seed)) fail(`seed must be a safe integer, got ${o.seed}`);
  const streamName = o.streamName ?? 'eventlake-raw';
  if (!STREAM_NAME.test(streamName))
    fail(`streamName must be 1-64 characters of [a-zA-Z0-9_.-], got "${streamName}"`);
  const objectMaxBytes = o.objectMaxBytes ?? 8 * 1024 * 1024;
  if (!Number.isSafeInteger(objectMaxBytes) || objectMaxBytes < 1)
    fail(`objectMaxBytes must be a positive integer, got ${objectMaxBytes}`);
  const objectMaxSeconds = o.objectMaxSeconds ?? 300;
  if (!Number.isFinite(objectMaxSeconds) || objectMaxSeconds <= 0)
    fail(`objectMaxSeconds must be a positive number, got ${objectMaxSeconds}`);
  return {
    events: o.events,
    startSeconds: startMs / 1000,
    hours: o.hours,
    seed: o.seed,
    duplicateRate: rate('duplicateRate', o.duplicateRate, 0.01),
    malformedRate: rate('malformedRate', o.malformedRate, 0.001),
    blankRate: rate('blankRate', o.blankRate, 0.0001),
    streamName,
    objectMaxBytes,
    objectMaxSeconds,
    gzip: o.gzip ?? true,
  };
}

function increment(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

function dateOfDay(day: number): string {
  return new Date(day * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

/**
 * Writes realistic raw traffic into `store` in the Firehose layout (`raw/YYYY/MM/DD/HH/...`, by arrival
 * time): `events` valid events over `hours` from `start`, plus exact duplicates, malformed lines of every
 * line-level class and blank lines, all determined by `seed`. Returns the counts a correct pipeline run
 * must reproduce. Memory stays bounded: only live users, in-flight lines and one open object are held.
 */
export async function generate(store: ObjectStore, options: GenerateOptions): Promise<GenerateSummary> {
  const o = resolveOptions(options);
  // Independent streams: the valid traffic does not change when the noise rates or object sizes do.
  const timeRng = new Prng(o.seed, 1);
  const model = new TrafficModel(new Prng(o.seed, 2));
  const noiseRng = new Prng(o.seed, 3);
  const keyRng = new Prng(o.seed, 4);

  const duplicates = Math.round(o.events * o.duplicateRate);
  const malformed = Math.round(o.events * o.malformedRate);
  const blanks = Math.round(o.events * o.blankRate);
  const duplicateSchedule = new JitteredSchedule(duplicates, o.events, noiseRng);
  const malformedSchedule = new JitteredSchedule(malformed, o.events, noiseRng);
  const blankSchedule = new JitteredSchedule(blanks, o.events, noiseRng);

  const sources = new DuplicateSources(noiseRng);
  const writer = new FirehoseWriter(
    {
      streamName: o.streamName,
      objectMaxBytes: o.objectMaxBytes,
      objectMaxSeconds: o.objectMaxSeconds,
      gzip: o.gzip,
      keyRng,
    },
    (w) => sources.objectClosing(w),
  );
  const queue = new ArrivalQueue();

  const summary: GenerateSummary = {
    objects: 0,
    lines: 0,
    validEvents: 0,
    exactDuplicates: 0,
    duplicatesSameObject: 0,
    duplicatesLaterObject: 0,
    malformed: 0,
    malformedByReason: {},
    malformedByVariant: {},
    blankLines: 0,
    uncompressedBytes: 0,
    storedBytes: 0,
    firstKey: '',
    lastKey: '',
    expected: {
      inserted: 0,
      quarantined: 0,
      usersWithAccount: 0,
      usersWithoutAccount: 0,
      accountEvents: 0,
      subscriptionEvents: 0,
      subscriptions: 0,
      countryChanges: 0,
      accountsDeleted: 0,
      lessons: 0,
      enrichment: { enriched: 0, no_account: 0, no_subscription: 0, not_applicable: 0 },
      eventsByType: {},
      eventsByName: {},
      eventDates: {},
      partitions: 0,
      upperCaseUuids: 0,
      intCreatedAt: 0,
      floatCreatedAt: 0,
      lateHourArrivals: 0,
    },
  };
  const expected = summary.expected;
  const nameCounts = new Float64Array(EVENT_NAMES.length);
  /** Per UTC day (days since epoch), events per name: gives dates and (type, date) partitions. */
  const byDay = new Map<number, Float64Array>();
  let lastDay = Number.NaN;
  let dayCounts: Float64Array = new Float64Array(EVENT_NAMES.length);
  let validWritten = 0;

  const flush = async (ready: ClosedObject[]): Promise<void> => {
    for (const object of ready.splice(0)) {
      await store.put(object.key, object.body);
      if (summary.objects === 0) summary.firstKey = object.key;
      summary.lastKey = object.key;
      summary.objects++;
      summary.uncompressedBytes += object.uncompressedBytes;
      summary.storedBytes += object.body.length;
    }
  };

  const malformedContext = (arrival: number): MalformedContext => ({
    rng: noiseRng,
    arrival,
    minTime: o.startSeconds,
    pickEarlier: () => sources.pick(writer).line,
  });

  /** Writes one valid line, then the noise lines scheduled right after it, at the same arrival time. */
  const writeValid = (source: Buffer, start: number, end: number, arrival: number): void => {
    writer.addValid(source, start, end, arrival);
    const slot = validWritten++;
    for (let n = duplicateSchedule.due(slot); n > 0; n--) {
      const original = sources.pick(writer);
      writer.add(original.line, arrival);
      if (original.objectIndex === writer.objectIndex) summary.duplicatesSameObject++;
      else summary.duplicatesLaterObject++;
      summary.exactDuplicates++;
    }
    for (let n = malformedSchedule.due(slot); n > 0; n--) {
      const bad = malformedLine(summary.malformed, malformedContext(arrival));
      writer.add(bad.line, arrival);
      summary.malformed++;
      increment(summary.malformedByReason, bad.reason);
      increment(summary.malformedByVariant, `${bad.reason}/${bad.variant}`);
    }
    for (let n = blankSchedule.due(slot); n > 0; n--) {
      writer.add('', arrival);
      summary.blankLines++;
    }
  };

  for (let i = 0; i < o.events; i++) {
    const t = o.startSeconds + ((i + timeRng.float()) * o.hours * 3600) / o.events;
    queue.releaseBefore(Math.floor(t), writeValid);

    const event = model.next(t);
    const nameIndex = NAME_INDEX.get(event.name)!;
    nameCounts[nameIndex] = nameCounts[nameIndex]! + 1;
    const day = Math.floor(event.createdAt / DAY_SECONDS);
    if (day !== lastDay) {
      lastDay = day;
      dayCounts = byDay.get(day) ?? new Float64Array(EVENT_NAMES.length);
      byDay.set(day, dayCounts);
    }
    dayCounts[nameIndex] = dayCounts[nameIndex]! + 1;
    if (Number.isInteger(event.createdAt)) expected.intCreatedAt++;
    else expected.floatCreatedAt++;
    if (event.upperCaseUuid) expected.upperCaseUuids++;
    if (event.lessonStatus !== undefined) expected.enrichment[event.lessonStatus]++;

    const delay = timeRng.chance(SLOW_DELIVERY_SHARE)
      ? 120 + timeRng.float() * 240
      : 0.05 + timeRng.float() * 119.95;
    const arrival = t + delay;
    if (Math.floor(arrival / 3600) > Math.floor(event.createdAt / 3600)) expected.lateHourArrivals++;
    queue.push(event.line, arrival);
    options.onEvent?.({ line: event.line, name: event.name, createdAt: event.createdAt, arrival });

    if (writer.ready.length > 0) await flush(writer.ready);
    if ((i + 1) % PROGRESS_EVERY === 0 && i + 1 < o.events)
      options.onProgress?.({ events: i + 1, objects: summary.objects });
  }
  queue.releaseAll(writeValid);
  writer.close();
  await flush(writer.ready);

  summary.validEvents = o.events;
  summary.lines = o.events + summary.exactDuplicates + summary.malformed + summary.blankLines;
  summary.malformedByReason = Object.fromEntries(
    QUARANTINE_REASONS.filter((r) => summary.malformedByReason[r] !== undefined).map((r) => [
      r,
      summary.malformedByReason[r]!,
    ]),
  );
  EVENT_NAMES.forEach((name, i) => {
    if (nameCounts[i]! > 0) {
      increment(expected.eventsByName, name, nameCounts[i]);
      increment(expected.eventsByType, TYPE_OF[i]!, nameCounts[i]);
    }
  });
  expected.inserted = o.events;
  expected.quarantined = summary.malformed;
  expected.usersWithAccount = model.stats.usersCreated;
  expected.usersWithoutAccount = model.stats.ghostUsers;
  expected.accountEvents = expected.eventsByType.account ?? 0;
  expected.subscriptionEvents = expected.eventsByType.subscription ?? 0;
  expected.subscriptions = model.stats.subscriptionsStarted;
  expected.countryChanges = model.stats.countryChanges;
  expected.accountsDeleted = model.stats.accountsDeleted;
  expected.lessons = expected.eventsByType.lesson ?? 0;
  expected.enrichment.not_applicable = o.events - expected.lessons;
  for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
    const counts = byDay.get(day)!;
    expected.eventDates[dateOfDay(day)] = counts.reduce((a, b) => a + b, 0);
    expected.partitions += new Set(TYPE_OF.filter((_, i) => counts[i]! > 0)).size;
  }
  options.onProgress?.({ events: o.events, objects: summary.objects });
  return summary;
}
