/**
 * Socket error names (Node) and SQLSTATEs (PostgreSQL) that mean "the database cannot be used right
 * now": nothing listens, the connection broke, the server is shutting down or starting up, or it
 * has no connection slot left. SQLSTATE class 08 (connection exception) is matched as a class.
 */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  '57P01', // admin_shutdown: the server is stopping (fast shutdown) and terminated our session
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '53300', // too_many_connections
  '57014', // query_canceled: statement_timeout ran out (the server is too slow to answer in time)
  '55P03', // lock_not_available: lock_timeout ran out
]);

/**
 * What the pg driver throws, without any `code`, when a connection ends (`Connection terminated…`),
 * cannot be opened within `connectionTimeoutMillis` (`timeout expired`), or a query gets no answer
 * within `query_timeout` (`Query read timeout`). knex puts the SQL in front of a query's message
 * (`select 1 - Connection terminated unexpectedly`), so only the end is matched.
 */
const UNAVAILABLE_MESSAGE = /(?:^|- )(?:Connection terminated(?: unexpectedly| due to connection timeout)?|timeout expired|Query read timeout|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/;

/**
 * Whether `error` says that PostgreSQL is unreachable, going away, restarting, or did not answer
 * within one of the configured limits (see `createDatabase`: acquire, connect, statement and query
 * timeouts), as opposed to a bug in our SQL. Such a request is answered 503 with `Retry-After`:
 * it was not executed, or (for a transfer whose answer was lost) its retry with the same
 * idempotency key replays it.
 *
 * @param error anything thrown while answering: pg errors carry `code` (a SQLSTATE or a socket
 *   error name); knex's pool timeout is a `KnexTimeoutError`. Read by shape, not `instanceof`:
 *   socket errors come from Node's own realm.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string') return UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
  return code === undefined && typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}
