import { LedgerError } from './errors.ts';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const MICROS_PER_SECOND = 1_000_000n;

/**
 * Reads an RFC 3339 `date-time` (§5.6; the offset is mandatory) and returns the same instant in
 * UTC with exactly six fraction digits, `2026-11-29T00:00:00.500000Z`: the form the ledger renders
 * `booked_at` in, which PostgreSQL casts back exactly and which compares correctly as text.
 *
 * The conversion is done here, not by PostgreSQL, so that every offset RFC 3339 allows (up to
 * ±23:59, beyond PostgreSQL's ±15:59) and every leap second (`:60`, read as the next second, as
 * PostgreSQL does) gives an answer rather than a database error. Fractions finer than a microsecond
 * round up: the ledger's timestamps are whole microseconds, so for `t` between two of them, "at or
 * after t" and "before t" both mean "at or after the next one".
 *
 * @param field named in the error message (`from`, `to`, `cursor`)
 * @throws {LedgerError} `invalid_request` for anything else: no offset, impossible dates (Feb 30),
 *   hours past 23, or an instant outside the years 0001 to 9999 once converted to UTC
 */
export function toUtcMicros(field: string, value: unknown): string {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match) {
    throw new LedgerError('invalid_request', `${field} must be an RFC 3339 date-time with an offset, e.g. 2026-11-29T08:00:00+08:00`);
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = match[7] ?? '';
  const offsetSign = match[8] === '-' ? -1 : 1;
  const offsetHours = Number(match[9] ?? 0);
  const offsetMinutes = Number(match[10] ?? 0);
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
    && hour <= 23 && minute <= 59 && second <= 60 && offsetHours <= 23 && offsetMinutes <= 59;
  if (!valid) throw new LedgerError('invalid_request', `${field} is not a valid date-time`);

  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day); // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are
  local.setUTCHours(hour, minute, second, 0);
  const offsetMs = offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const roundUp = /[1-9]/.test(fraction.slice(6)) ? 1n : 0n;
  const totalMicros = BigInt(local.getTime() - offsetMs) * 1000n + BigInt(fraction.slice(0, 6).padEnd(6, '0')) + roundUp;

  const wholeSeconds = floorDiv(totalMicros, MICROS_PER_SECOND);
  const utc = new Date(Number(wholeSeconds) * 1000);
  const utcYear = utc.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) throw new LedgerError('invalid_request', `${field} must fall within the years 0001 to 9999`);
  const micros = (totalMicros - wholeSeconds * MICROS_PER_SECOND).toString().padStart(6, '0');
  return `${utc.toISOString().slice(0, 19)}.${micros}Z`;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

function floorDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value % divisor < 0n ? quotient - 1n : quotient;
}
