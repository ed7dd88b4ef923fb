import { addMilliseconds } from 'date-fns/addMilliseconds';

const DAY_MS = 86_400_000;

/**
 * UTC calendar helpers. date-fns addDays/differenceInCalendarDays work in the local zone (a DST change
 * moves a UTC midnight by an hour), so day arithmetic here is on absolute milliseconds.
 */
export function parseUtcDate(date: string): Date {
  const at = new Date(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== date) {
    throw new RangeError(`not a calendar date (YYYY-MM-DD): ${date}`);
  }
  return at;
}

export function shiftUtcDate(date: string, days: number): string {
  return utcDate(addMilliseconds(parseUtcDate(date), days * DAY_MS));
}

export function utcDaysBetween(from: string, to: string): number {
  return Math.round((parseUtcDate(to).getTime() - parseUtcDate(from).getTime()) / DAY_MS);
}

/** `YYYY-MM-DD` of an instant, in UTC. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}
