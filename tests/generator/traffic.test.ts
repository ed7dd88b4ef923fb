import { EVENT_NAMES } from '../../src/generator/catalog';
import { generate, type GenerateOptions, type GenerateSummary } from '../../src/generator/generate';
import { MemoryObjectStore, readLines } from './memory-object-store';

interface Event {
  event_uuid: string;
  event_name: string;
  created_at: number;
  user_uuid?: string;
  language?: string;
  lesson_id?: string;
  country?: string;
  subscription_type?: string;
  subscription_status?: string;
  [field: string]: unknown;
}

const CLEAN: GenerateOptions = {
  events: 30_000,
  start: new Date('2024-04-07T22:00:00Z'),
  hours: 1,
  seed: 2024,
  duplicateRate: 0,
  malformedRate: 0,
  blankRate: 0,
};

/** Every line as an event, in arrival order; throws on a line that is not JSON. */
function events(store: MemoryObjectStore): Event[] {
  return readLines(store).map((line) => JSON.parse(line.bytes.toString('utf8')) as Event);
}

function byName(list: Event[], prefix: string): Event[] {
  return list.filter((e) => e.event_name.startsWith(prefix));
}

/** Events in event-time order (ties keep arrival order). */
function inEventTime(list: Event[]): Event[] {
  return [...list].sort((a, b) => a.created_at - b.created_at);
}

describe('generate: realistic valid traffic', () => {
  let store: MemoryObjectStore;
  let summary: GenerateSummary;
  let all: Event[];

  beforeAll(async () => {
    store = new MemoryObjectStore();
    summary = await generate(store, CLEAN);
    all = events(store);
  });

  it('writes only JSON event lines with the three envelope fields when no malformed line is asked for', () => {
    // Prepare
    const uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

    // Act
    const broken = all.filter(
      (e) =>
        !uuid.test(e.event_uuid) ||
        !/^[a-z0-9_]+(:[a-z0-9_]+){1,2}$/.test(e.event_name) ||
        !Number.isFinite(e.created_at),
    );

    // Assess
    expect(all.length).toBe(CLEAN.events);
    expect(broken).toEqual([]);
    expect(new Set(all.map((e) => e.event_uuid.toLowerCase())).size).toBe(CLEAN.events);
  });

  it('sends created_at both as int seconds and as float seconds with up to 6 decimals', () => {
    // Prepare
    const floats = all.filter((e) => !Number.isInteger(e.created_at));

    // Act
    const ints = all.length - floats.length;

    // Assess
    expect(ints).toBe(summary.expected.intCreatedAt);
    expect(floats.length).toBe(summary.expected.floatCreatedAt);
    expect(Math.min(ints, floats.length)).toBeGreaterThan(all.length * 0.4);
    expect(floats.every((e) => /^\d{10}\.\d{1,6}$/.test(String(e.created_at)))).toBe(true);
  });

  it('mixes the types like production: lessons ~40 %, subscriptions ~5 %, accounts ~3 %', () => {
    // Prepare
    const share = (prefix: string) => byName(all, prefix).length / all.length;

    // Act
    const shares = {
      lesson: share('lesson:'),
      subscription: share('subscription:'),
      account: share('account:'),
    };

    // Assess
    expect(shares.lesson).toBeGreaterThan(0.37);
    expect(shares.lesson).toBeLessThan(0.43);
    expect(shares.subscription).toBeGreaterThan(0.04);
    expect(shares.subscription).toBeLessThan(0.06);
    expect(shares.account).toBeGreaterThan(0.025);
    expect(shares.account).toBeLessThan(0.04);
    const byType: Record<string, number> = {};
    for (const e of all) byType[e.event_name.split(':')[0]!] = (byType[e.event_name.split(':')[0]!] ?? 0) + 1;
    expect(summary.expected.eventsByType).toEqual(byType);
  });

  it("sends each user's account:created before their subscription and lesson events", () => {
    // Prepare
    const createdAt = new Map(byName(all, 'account:created').map((e) => [e.user_uuid!, e.created_at]));

    // Act
    const early = all.filter(
      (e) =>
        (e.event_name.startsWith('subscription:') || e.event_name.startsWith('lesson:')) &&
        createdAt.has(e.user_uuid!) &&
        e.created_at <= createdAt.get(e.user_uuid!)!,
    );

    // Assess
    expect(createdAt.size).toBe(summary.expected.usersWithAccount);
    expect(early).toEqual([]);
    expect(byName(all, 'subscription:').every((e) => createdAt.has(e.user_uuid!))).toBe(true);
  });

  it('gives every account, subscription and lesson event a user_uuid, and every lesson a language and lesson_id', () => {
    // Prepare
    const userEvents = [
      ...byName(all, 'account:'),
      ...byName(all, 'subscription:'),
      ...byName(all, 'lesson:'),
    ];

    // Act
    const lessons = byName(all, 'lesson:');

    // Assess
    expect(userEvents.every((e) => typeof e.user_uuid === 'string')).toBe(true);
    expect(lessons.every((e) => typeof e.language === 'string' && typeof e.lesson_id === 'string')).toBe(
      true,
    );
    expect(lessons.length).toBe(summary.expected.lessons);
  });

  it('changes the country in some account updates', () => {
    // Prepare
    const updates = byName(all, 'account:updated');

    // Act
    const countryChanges = updates.filter((e) => typeof e.country === 'string');

    // Assess
    expect(countryChanges.length).toBe(summary.expected.countryChanges);
    expect(countryChanges.length).toBeGreaterThan(0);
    expect(countryChanges.length).toBeLessThan(updates.length);
  });

  it('starts each (user, language) subscription with type and status, and sends some later updates with the status only', () => {
    // Prepare
    const subscriptionEvents = inEventTime(byName(all, 'subscription:'));
    const started = new Set<string>();
    const firstEvents: Event[] = [];

    // Act
    for (const e of subscriptionEvents) {
      const key = `${e.user_uuid}|${e.language}`;
      if (!started.has(key)) firstEvents.push(e);
      started.add(key);
    }
    const statusOnly = subscriptionEvents.filter(
      (e) => e.subscription_status !== undefined && e.subscription_type === undefined,
    );

    // Assess
    expect(started.size).toBe(summary.expected.subscriptions);
    expect(
      firstEvents.every(
        (e) => typeof e.subscription_type === 'string' && typeof e.subscription_status === 'string',
      ),
    ).toBe(true);
    expect(new Set(firstEvents.map((e) => e.subscription_type))).toContain('trial');
    expect(statusOnly.length).toBeGreaterThan(0);
    expect(new Set(statusOnly.map((e) => e.subscription_status))).toEqual(
      new Set(['active', 'cancelled', 'expired', 'paused']),
    );
  });

  it('predicts the point-in-time enrichment status of every lesson (enriched, no_account, no_subscription)', () => {
    // Prepare: docs/contract.md#enrichment, read literally, over all events in event time.
    const latestAccount = new Map<string, number>();
    const subscription = new Map<string, { type?: string; status?: string }>();
    const counts = { enriched: 0, no_account: 0, no_subscription: 0 };

    // Act
    for (const e of inEventTime(all)) {
      if (e.event_name.startsWith('account:')) latestAccount.set(e.user_uuid!, e.created_at);
      else if (e.event_name.startsWith('subscription:')) {
        const key = `${e.user_uuid}|${e.language}`;
        const state = subscription.get(key) ?? {};
        subscription.set(key, {
          type: e.subscription_type ?? state.type,
          status: e.subscription_status ?? state.status,
        });
      } else if (e.event_name.startsWith('lesson:')) {
        const state = subscription.get(`${e.user_uuid}|${e.language}`);
        if (!latestAccount.has(e.user_uuid!)) counts.no_account++;
        else if (state?.type === undefined || state.status === undefined) counts.no_subscription++;
        else counts.enriched++;
      }
    }

    // Assess
    expect(counts).toEqual({
      enriched: summary.expected.enrichment.enriched,
      no_account: summary.expected.enrichment.no_account,
      no_subscription: summary.expected.enrichment.no_subscription,
    });
    expect(Math.min(counts.no_account, counts.no_subscription)).toBeGreaterThan(0);
    expect(summary.expected.enrichment.not_applicable).toBe(all.length - byName(all, 'lesson:').length);
  });

  it('sends a few valid events with an upper-case event_uuid', () => {
    // Prepare
    const upper = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;

    // Act
    const count = all.filter((e) => upper.test(e.event_uuid) && /[A-F]/.test(e.event_uuid)).length;

    // Assess
    expect(count).toBe(summary.expected.upperCaseUuids);
    expect(count).toBeGreaterThan(0);
  });

  it('keeps non-ASCII text (UTF-8) in some valid events', () => {
    // Prepare
    const lines = readLines(store);

    // Act
    const nonAscii = lines.filter((l) => l.bytes.some((b) => b >= 0x80));

    // Assess
    expect(nonAscii.length).toBeGreaterThan(0);
    expect(nonAscii.every((l) => l.bytes.toString('utf8').includes('"search:'))).toBe(true);
  });
});

describe('generate: event catalog', () => {
  it('emits all ~100 event names, 2- and 3-part, at 200k events', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    const summary = await generate(store, { ...CLEAN, events: 200_000 });

    // Assess
    const seen = new Set(
      readLines(store).map(
        (l) => /^\{"event_uuid":"[^"]+","event_name":"([^"]+)"/.exec(l.bytes.toString('latin1'))![1]!,
      ),
    );
    expect(EVENT_NAMES.length).toBeGreaterThanOrEqual(95);
    expect([...seen].sort()).toEqual([...EVENT_NAMES].sort());
    expect(Object.keys(summary.expected.eventsByName).sort()).toEqual([...EVENT_NAMES].sort());
    expect(EVENT_NAMES.filter((n) => n.split(':').length === 2).length).toBeGreaterThan(10);
    expect(EVENT_NAMES.filter((n) => n.split(':').length === 3).length).toBeGreaterThan(10);
    expect(new Set(EVENT_NAMES.map((n) => n.split(':')[0])).size).toBeGreaterThanOrEqual(15);
  });
});
