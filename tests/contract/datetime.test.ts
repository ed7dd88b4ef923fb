import { splitMicros, toUtcTimestamp } from '../../src/contract/datetime';
import { validateLine } from '../../src/contract/validate-line';
import { ARRIVAL_MS, expectValid, lessonEvent, lineOf } from '../fixtures/contract/events';

describe('created_datetime and event_date', () => {
  it('gives 6 zero digits for integer seconds', () => {
    // Act
    const timestamp = toUtcTimestamp(1712511721);

    // Assess
    expect(timestamp).toEqual({ created_datetime: '2024-04-07T17:42:01.000000Z', event_date: '2024-04-07' });
  });

  it('keeps the microseconds the sender wrote for a float', () => {
    // Act
    const timestamp = toUtcTimestamp(1712511721.022075);

    // Assess
    expect(timestamp.created_datetime).toBe('2024-04-07T17:42:01.022075Z');
  });

  it.each([
    [1712511721.1, '2024-04-07T17:42:01.100000Z'],
    [1712511721.000001, '2024-04-07T17:42:01.000001Z'],
    [1712511721.999999, '2024-04-07T17:42:01.999999Z'],
    [1712511721.5, '2024-04-07T17:42:01.500000Z'],
  ])('formats %p as %s', (seconds, expected) => {
    // Act
    const timestamp = toUtcTimestamp(seconds);

    // Assess
    expect(timestamp.created_datetime).toBe(expected);
  });

  it.each([
    // the double nearest 1712511721.0220745 is 1712511721.02207446..., whose own rounding would give 022074
    [1712511721.0220745, 22075],
    [1712511721.1234565, 123457],
    [1712511721.0220742, 22074],
  ])('rounds %p half up on its decimal digits', (seconds, micros) => {
    // Act
    const parts = splitMicros(seconds);

    // Assess
    expect(parts).toEqual({ wholeSeconds: 1712511721, micros });
  });

  it('carries a rounding past .999999 into the next second, and the next day', () => {
    // Act
    const timestamp = toUtcTimestamp(1712534399.9999995);

    // Assess
    expect(timestamp).toEqual({ created_datetime: '2024-04-08T00:00:00.000000Z', event_date: '2024-04-08' });
  });

  it.each([
    [1712534399.999999, '2024-04-07T23:59:59.999999Z', '2024-04-07'],
    [1712534400, '2024-04-08T00:00:00.000000Z', '2024-04-08'],
    [1712534400.000001, '2024-04-08T00:00:00.000001Z', '2024-04-08'],
  ])('puts %p on the right side of midnight UTC', (seconds, datetime, date) => {
    // Act
    const timestamp = toUtcTimestamp(seconds);

    // Assess
    expect(timestamp).toEqual({ created_datetime: datetime, event_date: date });
  });

  it('handles a leap day and the year 2000 bound', () => {
    // Act
    const leap = toUtcTimestamp(Date.UTC(2024, 1, 29, 12) / 1000);
    const y2k = toUtcTimestamp(946684800);

    // Assess
    expect([leap.event_date, y2k.created_datetime]).toEqual(['2024-02-29', '2000-01-01T00:00:00.000000Z']);
  });

  it('agrees with Date for every microsecond-exact value in a sample across years', () => {
    // Prepare
    const samples = Array.from({ length: 2000 }, (_, i) => 946684800 + i * 397_331.123457);

    // Act
    const mismatches = samples.filter((seconds) => {
      const ms = Math.floor(seconds) * 1000;
      const expected = new Date(ms).toISOString().slice(0, 19);
      return !toUtcTimestamp(seconds).created_datetime.startsWith(expected);
    });

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('derives created_datetime and event_date on a validated event', () => {
    // Act
    const event = expectValid(
      validateLine(lineOf(lessonEvent({ created_at: 1712534399.5 })), { arrivalMs: ARRIVAL_MS }),
    );

    // Assess
    expect([event.created_datetime, event.event_date]).toEqual(['2024-04-07T23:59:59.500000Z', '2024-04-07']);
  });
});
