/**
 * The request header that gives the same-SQL balance reference (same-sql.ts) the subject to
 * compare the account's owner with: the bench's request generator sends its user's `sub` in it,
 * where our route reads the subject from the access token.
 */
export const BENCH_SUBJECT_HEADER = 'x-bench-subject';
