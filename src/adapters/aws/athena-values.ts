/**
 * Athena's GetQueryResults gives every value as text (`VarCharValue`, absent for NULL) plus the column's
 * type in ResultSetMetadata. This maps them to the values the SqlEngine port promises (the same as the
 * DuckDB adapter): numbers as JS numbers, booleans, DATE as 'YYYY-MM-DD', TIMESTAMP as ISO 8601 UTC with
 * `Z` and six fraction digits, JSON parsed, anything else (varchar, array/map/row text, time, ...) as text.
 */

const NUMERIC = new Set([
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'double',
  'float',
  'real',
  'decimal',
]);

const TEXT = new Set(['varchar', 'char', 'string']);

const TIMESTAMP_TEXT = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?\s*(.*)$/;

export function athenaValue(type: string | undefined, text: string | undefined): unknown {
  if (text === undefined) return null;
  const base = (type ?? 'varchar').toLowerCase().replace(/\(.*$/, '').trim();
  // Some Athena answers (CSV-backed results) give NULL as '': only a text column can hold an empty value.
  if (text === '' && !TEXT.has(base)) return null;
  if (NUMERIC.has(base)) return Number(text);
  if (base === 'boolean') return text === 'true';
  if (base === 'json') return JSON.parse(text) as unknown;
  if (base === 'timestamp' || base === 'timestamp with time zone') return isoUtc(text);
  return text;
}

/**
 * `2024-04-07 17:42:01.022` -> `2024-04-07T17:42:01.022000Z`; with a zone (`... +02:00`, `... UTC`,
 * `... Europe/Paris`) the same instant in UTC. Fraction digits beyond six are dropped, never rounded.
 */
export function isoUtc(text: string): string {
  const match = TIMESTAMP_TEXT.exec(text.trim());
  if (match === null) throw new RangeError(`not an Athena timestamp: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, fraction = '', zone = ''] = match;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const wall = new Date(0);
  wall.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  wall.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const utc = new Date(wall.getTime() - zoneOffsetMs(zone.trim(), wall.getTime()));
  return `${utc.toISOString().slice(0, 19)}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}

/** Offset of `zone` from UTC in ms at about the wall time `wallMs` ('' and UTC are 0). */
function zoneOffsetMs(zone: string, wallMs: number): number {
  if (zone === '' || /^(UTC|GMT|Z|Etc\/UTC)$/i.test(zone)) return 0;
  const fixed = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (fixed !== null) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3] ?? 0);
    return (fixed[1] === '-' ? -1 : 1) * minutes * 60_000;
  }
  // A region name: its offset at that instant, found by formatting (two passes settle DST edges).
  let offset = namedZoneOffsetMs(zone, wallMs);
  offset = namedZoneOffsetMs(zone, wallMs - offset);
  return offset;
}

function namedZoneOffsetMs(zone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(atMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(atMs / 1000) * 1000;
}
