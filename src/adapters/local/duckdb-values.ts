import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  type DuckDBPreparedStatement,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBValueConverter,
  JSDuckDBValueConverter,
  type JS,
} from '@duckdb/node-api';
import type { SqlValue } from '../../ports/sql-engine';

/**
 * How a DuckDB value becomes a plain JSON-safe JS value, the same shapes Athena's adapter returns:
 * - integers and DECIMAL -> number (a 64/128-bit integer beyond 2^53 -> its exact decimal string);
 * - DATE -> `YYYY-MM-DD`;
 * - TIMESTAMP / TIMESTAMPTZ -> ISO 8601 in UTC with `Z` and microseconds (`2024-04-07T17:42:01.022075Z`),
 *   nanoseconds for TIMESTAMP_NS; infinite timestamps -> `infinity` / `-infinity`;
 * - TIME, TIMETZ, INTERVAL, UUID, ENUM, BIT -> DuckDB's text form; BLOB -> Uint8Array;
 * - LIST / ARRAY -> arrays, STRUCT -> objects, MAP -> `{key, value}[]`, each element converted alike;
 * - NULL -> null.
 */
export const plainValue: DuckDBValueConverter<unknown> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return typeof value === 'bigint' ? numberIfSafe(value) : value;
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? value.toDouble() : value;
    case DuckDBTypeId.DATE:
      return value instanceof DuckDBDateValue ? value.toString() : value;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue
        ? isoTimestamp(value, value.micros, 1_000_000n, 6)
        : value;
    case DuckDBTypeId.TIMESTAMP_S:
      return value instanceof DuckDBTimestampSecondsValue
        ? isoTimestamp(value, value.seconds * 1_000_000n, 1_000_000n, 6)
        : value;
    case DuckDBTypeId.TIMESTAMP_MS:
      return value instanceof DuckDBTimestampMillisecondsValue
        ? isoTimestamp(value, value.millis * 1_000n, 1_000_000n, 6)
        : value;
    case DuckDBTypeId.TIMESTAMP_NS:
      return value instanceof DuckDBTimestampNanosecondsValue
        ? isoTimestamp(value, value.nanos, 1_000_000_000n, 9)
        : value;
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_TZ:
    case DuckDBTypeId.TIME_NS:
    case DuckDBTypeId.INTERVAL:
    case DuckDBTypeId.BIT:
      return String(value);
    default:
      // Booleans, small integers, floats, strings, blobs, and the nested types, whose elements come back
      // through `converter` (this function) so a list of timestamps is a list of ISO strings.
      return JSDuckDBValueConverter(value, type, converter as DuckDBValueConverter<JS>);
  }
};

function numberIfSafe(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

const MAX_DATE_MS = 8.64e15;

/** `units` since the epoch, `perSecond` units a second, rendered with `digits` fraction digits and `Z`. */
function isoTimestamp(
  value: { readonly isFinite: boolean; toString(): string },
  units: bigint,
  perSecond: bigint,
  digits: number,
): string {
  if (!value.isFinite) return value.toString();
  let seconds = units / perSecond;
  let fraction = units % perSecond;
  if (fraction < 0n) {
    fraction += perSecond;
    seconds -= 1n;
  }
  const ms = Number(seconds) * 1000;
  // Beyond JS Date's range (year ±275760): DuckDB's own text form rather than a wrong date.
  if (Math.abs(ms) > MAX_DATE_MS) return value.toString();
  const wholeSeconds = new Date(ms).toISOString().slice(0, -5); // drop `.000Z`
  return `${wholeSeconds}.${fraction.toString().padStart(digits, '0')}Z`;
}

/**
 * Binds `params` to `?` placeholders by position with explicit types: strings as VARCHAR (never spliced
 * into the SQL text), integers as INTEGER or BIGINT, other numbers as DOUBLE, booleans, NULL.
 */
export function bindParams(prepared: DuckDBPreparedStatement, params: readonly SqlValue[]): void {
  params.forEach((param, i) => {
    const index = i + 1;
    if (param === null) prepared.bindNull(index);
    else if (typeof param === 'string') prepared.bindVarchar(index, param);
    else if (typeof param === 'boolean') prepared.bindBoolean(index, param);
    else if (typeof param === 'number') bindNumber(prepared, index, param);
    else
      throw new TypeError(
        `parameter ${index} is a ${typeof param}: expected string, number, boolean or null`,
      );
  });
}

function bindNumber(prepared: DuckDBPreparedStatement, index: number, value: number): void {
  if (Number.isInteger(value) && Math.abs(value) <= 2_147_483_647) prepared.bindInteger(index, value);
  else if (Number.isSafeInteger(value)) prepared.bindBigInt(index, BigInt(value));
  else prepared.bindDouble(index, value);
}
