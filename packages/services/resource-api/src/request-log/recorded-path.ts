import { maskAccountIds } from '@payapi/platform';

/** Longest path kept in the request log, characters (the column's check says the same). */
export const RECORDED_PATH_LENGTH_MAX = 256;

/** Anything but visible ASCII: control characters (NUL included), spaces, non-ASCII text. */
const NOT_VISIBLE_ASCII = /[^\x21-\x7e]/gu;

/**
 * The path as the request log keeps it: as the logs write it (percent-decoded, account ids
 * masked to their last four digits, docs/operations.md "Logs"), except that anything not visible
 * ASCII is percent-encoded again (a decoded `%00` would make PostgreSQL refuse the whole batch;
 * control characters have no business on the portal's page); then cut to
 * {@link RECORDED_PATH_LENGTH_MAX} characters, the last one `…` when cut, so a rogue path costs a
 * row no more than a normal one.
 *
 * @param pathname the request's path without its query string (Express's `req.path`)
 * @returns at most 256 characters
 */
export function recordedPath(pathname: string): string {
  const [withoutQuery = ''] = pathname.split('?', 1);
  let decoded = withoutQuery;
  try {
    decoded = decodeURIComponent(withoutQuery);
  } catch {
    // A malformed escape: keep the path as it came (still masked below).
  }
  const visible = maskAccountIds(decoded.replace(NOT_VISIBLE_ASCII, (character) => encodeURIComponent(character)));
  return visible.length <= RECORDED_PATH_LENGTH_MAX ? visible : `${visible.slice(0, RECORDED_PATH_LENGTH_MAX - 1)}…`;
}
