/** A moment as the pages show it: in UTC, to the second, and as a `<time datetime>` value. */
export interface UtcTime {
  /** `2026-12-09 10:15:30 UTC` */
  text: string;
  /** `2026-12-09T10:15:30Z` (HTML's valid global date and time string) */
  datetime: string;
}

/**
 * Formats an RFC 3339 timestamp for a page (fractions of a second dropped).
 *
 * @throws {RangeError} for a string that is no date (a bug: callers pass the database's timestamps)
 */
export function utcTime(rfc3339: string): UtcTime {
  const iso = new Date(rfc3339).toISOString();
  return { text: `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`, datetime: `${iso.slice(0, 19)}Z` };
}
