import { toUtcTimestamp } from '../../src/contract/datetime';
import { generate, type GenerateSummary, type GeneratedEvent } from '../../src/generator';
import { fixedClock } from '../../src/ports/clock';
import { readSavedSql } from '../../src/cli/query/sql-source';
import { queryLake } from '../../src/cli/commands/query';
import { savedQueries } from '../../src/sql/saved-queries';
import { makeTestLake, type TestLake } from '../helpers/lake';
import { runOk } from '../helpers/run';
import type { RunSummary } from '../../src/pipeline/run-summary';

/**
 * Every saved query (sql/queries/) runs on one generated lake and is checked against the generator's ground
 * truth: its summary (counts by name, reason, enrichment, duplicates) and the valid events it reports through
 * `onEvent` (users, languages, times). 32 hours of traffic over three event dates, loaded in several batches
 * (so some duplicates are found in the table, not the batch), at a fixed clock: every row's ingested_at.
 */
const START = new Date('2024-04-06T20:00:00Z');
const HOURS = 32; // events until 2024-04-08T04:00:00Z, arriving up to 6 minutes later
const NOW = '2024-04-08T04:10:00.000Z';
const NOW_SECONDS = Date.parse(NOW) / 1000;

type Row = Record<string, unknown>;

const increment = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
const sortRows = (rows: Row[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('saved analyst queries on a generated lake, against the generator ground truth', () => {
  let lake: TestLake;
  let summary: GenerateSummary;
  const events: GeneratedEvent[] = [];
  const runs: RunSummary[] = [];
  const answers = new Map<string, Row[]>();

  beforeAll(async () => {
    lake = await makeTestLake({ clock: fixedClock(NOW), config: { maxBatchObjects: 150 } });
    summary = await generate(lake.objects, {
      events: 3000,
      start: START,
      hours: HOURS,
      seed: 14,
      duplicateRate: 0.04,
      malformedRate: 0.02,
      onEvent: (event) => events.push(event),
    });
    for (;;) {
      const run = await runOk(lake);
      if (run.status !== 'committed') break;
      runs.push(run);
    }
    for (const { name } of savedQueries()) answers.set(name, await queryLake(lake, readSavedSql(name)));
  }, 120_000);
  afterAll(() => lake.cleanup());

  const answer = (name: string): Row[] => {
    const rows = answers.get(name);
    if (rows === undefined) throw new Error(`no saved query ${name}`);
    return rows;
  };
  /** What the generator wrote, per valid event: its parsed line and UTC fields. */
  const parsed = () =>
    events.map((e) => {
      const body = JSON.parse(e.line) as { user_uuid?: string; language?: string };
      const { created_datetime, event_date } = toUtcTimestamp(e.createdAt);
      const [type] = e.name.split(':') as [string];
      return { ...e, ...body, type, created_datetime, event_date, hour: Number(created_datetime.slice(11, 13)) };
    });

  it('the lake took several batches, and the generator reported every valid event', () => {
    expect(runs.length).toBeGreaterThan(1);
    expect(events).toHaveLength(summary.validEvents);
    expect(Object.keys(summary.expected.eventDates).sort()).toEqual(['2024-04-06', '2024-04-07', '2024-04-08']);
  });

  it('there are at least eight saved queries, each answering something on this lake', () => {
    const names = savedQueries().map((q) => q.name);
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) expect([name, answer(name).length > 0]).toEqual([name, true]);
  });

  it('daily_active_learners_by_language: distinct lesson users per event day and language', () => {
    const users = new Map<string, Set<string>>();
    const lessons = new Map<string, number>();
    for (const e of parsed()) {
      if (e.type !== 'lesson' || e.user_uuid === undefined || e.language === undefined) continue;
      const key = `${e.event_date}|${e.language}`;
      users.set(key, (users.get(key) ?? new Set()).add(e.user_uuid));
      increment(lessons, key);
    }
    const expected = [...users].map(([key, set]) => {
      const [event_date, language] = key.split('|');
      return { event_date, language, active_learners: set.size, lesson_events: lessons.get(key) };
    });

    expect(sortRows(answer('daily_active_learners_by_language'))).toEqual(sortRows(expected));
  });

  it('lessons_by_subscription: lessons per enrichment status add up to the generated ones', () => {
    const byStatus: Record<string, number> = {};
    for (const row of answer('lessons_by_subscription')) byStatus[row.enrichment_status as string] = (byStatus[row.enrichment_status as string] ?? 0) + Number(row.lessons);
    const { enriched, no_account, no_subscription } = summary.expected.enrichment;

    expect(byStatus).toEqual({ enriched, no_account, no_subscription });
    expect(answer('lessons_by_subscription').filter((r) => r.enrichment_status !== 'enriched').every((r) => r.subscription_type === '(none)')).toBe(true);
  });

  it('completion_rate_by_type: completed or finished per started, per flow, from the generated counts by name', () => {
    const flows = new Map<string, { started: number; completed: number }>();
    for (const [name, count] of Object.entries(summary.expected.eventsByName)) {
      const parts = name.split(':');
      const flow = parts.length === 2 ? `${parts[0]}|` : `${parts[0]}|${parts[1]}`;
      const step = parts.length === 2 ? parts[1] : parts.slice(2).join(':');
      const f = flows.get(flow) ?? { started: 0, completed: 0 };
      if (step === 'started') f.started += count;
      if (step === 'completed' || step === 'finished') f.completed += count;
      flows.set(flow, f);
    }
    const expected = [...flows]
      .filter(([, f]) => f.started > 0)
      .map(([flow, f]) => {
        const [event_type, event_subtype] = flow.split('|');
        return { event_type, event_subtype, started: f.started, completed: f.completed, completion_rate: Math.round((f.completed / f.started) * 1e4) / 1e4 };
      });

    expect(sortRows(answer('completion_rate_by_type').map((r) => ({ ...r, completion_rate: Number(r.completion_rate) })))).toEqual(sortRows(expected));
    expect(answer('completion_rate_by_type')).toContainEqual(expect.objectContaining({ event_type: 'lesson', event_subtype: '' }));
  });

  it('events_per_type_per_hour: events per type, event day and UTC hour', () => {
    const counts = new Map<string, number>();
    for (const e of parsed()) increment(counts, `${e.type}|${e.event_date}|${e.hour}`);
    const expected = [...counts].map(([key, events]) => {
      const [event_type, event_date, hour] = key.split('|');
      return { event_type, event_date, event_hour: Number(hour), events };
    });

    expect(sortRows(answer('events_per_type_per_hour').map((r) => ({ ...r, event_hour: Number(r.event_hour) })))).toEqual(sortRows(expected));
  });

  it('events_per_type_per_day: each row it shows is the generated count of that type and day', () => {
    const counts = new Map<string, { events: number; names: Set<string> }>();
    for (const e of parsed()) {
      const c = counts.get(`${e.type}|${e.event_date}`) ?? { events: 0, names: new Set<string>() };
      c.events++;
      c.names.add(e.name);
      counts.set(`${e.type}|${e.event_date}`, c);
    }
    const rows = answer('events_per_type_per_day');

    expect(rows.length).toBe(Math.min(20, counts.size));
    for (const row of rows) {
      const c = counts.get(`${String(row.event_type)}|${String(row.event_date)}`);
      expect({ ...row }).toEqual({ ...row, events: c?.events, event_names: c?.names.size });
    }
  });

  it('quarantine_by_reason_per_day: quarantined lines per reason are the malformed lines the generator wrote, on the commit day', () => {
    const rows = answer('quarantine_by_reason_per_day');
    const byReason = Object.fromEntries(rows.map((r) => [String(r.reason), Number(r.quarantined_lines)]));

    expect(new Set(rows.map((r) => r.day))).toEqual(new Set([NOW.slice(0, 10)]));
    expect(byReason).toEqual(summary.malformedByReason);
  });

  it('duplicate_rate_per_day: the exact duplicates the generator wrote, found in the batch or in the table', () => {
    const [row, ...rest] = answer('duplicate_rate_per_day');
    const duplicates = summary.exactDuplicates;

    expect(rest).toEqual([]);
    expect(row).toEqual({
      day: NOW.slice(0, 10),
      mode: 'scheduled',
      lines_read: summary.lines,
      inserted: summary.validEvents,
      duplicates_in_batch: row?.duplicates_in_batch,
      duplicates_existing: row?.duplicates_existing,
      duplicate_rate: Math.round((duplicates / (summary.validEvents + duplicates)) * 1e6) / 1e6,
    });
    expect(Number(row?.duplicates_in_batch) + Number(row?.duplicates_existing)).toBe(duplicates);
    // Several batches: some copies of a line of an earlier batch are found in the table.
    expect(Number(row?.duplicates_existing)).toBeGreaterThan(0);
  });

  it('data_freshness: the newest generated event time per type, and the batches load time', () => {
    const newest = new Map<string, number>();
    for (const e of events) {
      const [type] = e.name.split(':') as [string];
      newest.set(type, Math.max(newest.get(type) ?? 0, e.createdAt));
    }
    const expected = [...newest].map(([event_type, createdAt]) => ({
      event_type,
      newest_created_datetime: toUtcTimestamp(createdAt).created_datetime,
      newest_ingested_at: NOW,
      events: summary.expected.eventsByType[event_type],
    }));
    const rows = answer('data_freshness').map((r) => ({ ...r, newest_ingested_at: new Date(String(r.newest_ingested_at)).toISOString() }));

    expect(sortRows(rows)).toEqual(sortRows(expected));
  });

  it('late_arriving_events: events per event day and lag bucket (load time minus event time)', () => {
    const bucket = (lag: number) =>
      lag <= 900 ? '1: <= 15 min' : lag <= 3600 ? '2: 15-60 min' : lag <= 6 * 3600 ? '3: 1-6 h' : lag <= 86_400 ? '4: 6-24 h' : lag <= 7 * 86_400 ? '5: 1-7 days' : '6: > 7 days';
    const counts = new Map<string, number>();
    for (const e of parsed()) increment(counts, `${e.event_date}|${bucket(NOW_SECONDS - e.createdAt)}`);
    const expected = [...counts].map(([key, n]) => {
      const [event_date, lag_bucket] = key.split('|');
      return { event_date, lag_bucket, events: n };
    });

    expect(sortRows(answer('late_arriving_events'))).toEqual(sortRows(expected));
    expect(new Set(expected.map((r) => r.lag_bucket)).size).toBe(5);
  });
});
