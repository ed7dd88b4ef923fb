/**
 * `created_at` (Unix seconds, int or float) to `created_datetime` / `event_date`, in UTC whatever the process
 * time zone (TZ). Only UTC arithmetic is used: the day comes from date-fns `fromUnixTime` + `toISOString` (UTC by
 * definition; date-fns' own formatters use the local zone, which is what peers got wrong), the time of day from
 * the seconds modulo 86400. The last day's text is cached: events of a batch fall on few days.
 */
import { fromUnixTime } from 'date-fns/fromUnixTime';

export interface UtcTimestamp {
  /** ISO 8601 UTC with exactly 6 fractional digits and `Z`, e.g. `2024-04-07T17:42:01.022075Z`. */
  readonly created_datetime: string;
  /** `YYYY-MM-DD` of created_datetime. */
  readonly event_date: string;
}

const PAD6 = '000000';
const SECONDS_PER_DAY = 86_400;
const FAST_PATH_LIMIT = 2 ** 32;
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** `000` to `999`: the microseconds as two halves of table text (String(micros) per event cost more). */
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Microseconds of `fraction` digits (the text after the dot), rounded half up on the decimal digits. */
function microsFromDigits(fraction: string): number {
  let micros = Number((fraction + PAD6).slice(0, 6));
  if (fraction.length > 6 && fraction.charCodeAt(6) >= 0x35) micros++;
  return micros;
}

/**
 * Splits `seconds` into whole seconds and microseconds, rounding half up on the number's shortest decimal form
 * (the digits the sender wrote), not on its binary value: 1712511721.022075 gives 022075 although the double is
 * 1712511721.02207493...; a carry past .999999 moves to the next second.
 * Valid for finite, non-negative numbers below 1e21 (no exponent in their text).
 *
 * Fast path: below 2^32 (year 2106) a double is within half an ulp (<= 2^-21 s) of the decimal it was parsed
 * from, so the fraction times 1e6 is within 0.24 of the decimal's micros and rounding it is exact unless it lies
 * within 0.25 of a .5 boundary (only possible with 7+ fractional digits). Then, and above 2^32, the decimal text
 * decides.
 */
export function splitMicros(seconds: number): { wholeSeconds: number; micros: number } {
  let wholeSeconds = Math.floor(seconds);
  const scaled = (seconds - wholeSeconds) * 1e6;
  let micros = Math.round(scaled);
  const distanceFromHalf = Math.abs(scaled - Math.floor(scaled) - 0.5);
  if (distanceFromHalf < 0.25 || seconds >= FAST_PATH_LIMIT) {
    const text = String(seconds);
    const dot = text.indexOf('.');
    micros = dot === -1 ? 0 : microsFromDigits(text.slice(dot + 1));
  }
  if (micros >= 1_000_000) {
    micros -= 1_000_000;
    wholeSeconds++;
  }
  return { wholeSeconds, micros };
}

let cachedDay = Number.NaN;
let cachedDate = '';

/** `YYYY-MM-DD` (UTC) of day number `day` since 1970-01-01. */
function utcDate(day: number): string {
  if (day !== cachedDay) {
    cachedDate = fromUnixTime(day * SECONDS_PER_DAY)
      .toISOString()
      .slice(0, 10);
    cachedDay = day;
  }
  return cachedDate;
}

/** created_datetime and event_date for a `created_at` in seconds (finite, from 1970 to the year 9999). */
export function toUtcTimestamp(createdAt: number): UtcTimestamp {
  const { wholeSeconds, micros } = splitMicros(createdAt);
  const day = Math.floor(wholeSeconds / SECONDS_PER_DAY);
  const secondOfDay = wholeSeconds - day * SECONDS_PER_DAY;
  const hours = Math.floor(secondOfDay / 3600);
  const minutes = Math.floor((secondOfDay - hours * 3600) / 60);
  const secs = secondOfDay - hours * 3600 - minutes * 60;
  const date = utcDate(day);
  const thousands = Math.floor(micros / 1000);
  return {
    created_datetime: `${date}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[secs]}.${THREE_DIGITS[thousands]}${THREE_DIGITS[micros - thousands * 1000]}Z`,
    event_date: date,
  };
}
