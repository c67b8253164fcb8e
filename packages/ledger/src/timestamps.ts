import { LedgerError } from './errors.ts';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Checks an RFC 3339 `date-time` (§5.6) with a mandatory offset: `2026-11-29T08:00:00+08:00`,
 * `2026-11-29T00:00:00.5Z`. The string is passed on to PostgreSQL (`::timestamptz`), which honours
 * the offset and keeps microseconds; checking here turns a bad value into a 4xx instead of a
 * database error.
 *
 * @param field named in the error message (`from`, `to`)
 * @returns the same string
 * @throws {LedgerError} `invalid_request` for anything else, including impossible dates (Feb 30)
 */
export function checkRfc3339(field: string, value: unknown): string {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match) {
    throw new LedgerError('invalid_request', `${field} must be an RFC 3339 date-time with an offset, e.g. 2026-11-29T08:00:00+08:00`);
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = Number(match[9] ?? 0);
  const offsetMinutes = Number(match[10] ?? 0);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const valid = year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth
    && hour <= 23 && minute <= 59 && second <= 60 && offsetHours <= 23 && offsetMinutes <= 59;
  if (!valid) throw new LedgerError('invalid_request', `${field} is not a valid date-time`);
  return value as string;
}
