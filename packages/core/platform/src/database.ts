import knex from 'knex';
import type { Knex } from 'knex';

/**
 * The largest number of pooled connections {@link createDatabase} opens when not told otherwise
 * (`DatabaseOptions.poolMax`): the pool of every service that does not set its own (the resource
 * API, the authorization server, the developer portal, the webhook worker).
 */
export const DATABASE_POOL_MAX_DEFAULT = 10;

/** Options for {@link createDatabase}. Every limit is explicit: no library default is relied on. */
export interface DatabaseOptions {
  /** PostgreSQL connection string (`postgres://…`). */
  url: string;
  /** Largest number of pooled connections. Default {@link DATABASE_POOL_MAX_DEFAULT} (10). */
  poolMax?: number;
  /** Shown in `pg_stat_activity.application_name`. Default `payapi`. */
  applicationName?: string;
  /** Server-side limit on one statement, in milliseconds. Default 15000. */
  statementTimeoutMs?: number;
  /** How long a query waits for a free pooled connection, in milliseconds. Default 10000. */
  acquireTimeoutMs?: number;
  /**
   * How long opening a connection may take (TCP, startup, authentication), in milliseconds.
   * Default 5000. Without it, a server that accepts the TCP connection but never answers (frozen,
   * overloaded) keeps the caller waiting for ever.
   */
  connectTimeoutMs?: number;
  /**
   * Client-side limit on one query, in milliseconds: the backstop for a server that cannot cancel
   * the statement itself (frozen or cut off), where `statementTimeoutMs` never fires. Default
   * `statementTimeoutMs` + 5000, so a reachable server always cancels first (none when
   * `statementTimeoutMs` is 0, i.e. statements may run without limit). The connection stays
   * busy until the server answers the abandoned query; queries behind it wait within this limit too.
   */
  queryTimeoutMs?: number;
}

/**
 * knex prints its notices with console.log, on stdout, which belongs to program output (the CLI's
 * JSON): send them to stderr instead. A failure to connect is not printed: it reaches the caller as
 * the query's error, which says it better.
 */
const KNEX_LOG = {
  warn: (message: unknown): void => {
    if (!String(message).startsWith('Acquire connection error')) process.stderr.write(`knex: ${String(message)}\n`);
  },
  error: (message: unknown): void => void process.stderr.write(`knex: ${String(message)}\n`),
  deprecate: (message: unknown): void => void process.stderr.write(`knex: ${String(message)}\n`),
  debug: (): void => undefined,
};

/**
 * Creates a knex instance on PostgreSQL (driver `pg`). Connections are opened lazily, so this
 * never fails for an unreachable server; the first query does. Every wait is bounded: for a pooled
 * connection (`acquireTimeoutMs`), for a new one (`connectTimeoutMs`), for a statement on the
 * server (`statementTimeoutMs`) and, when the server cannot answer at all, on the client
 * (`queryTimeoutMs`).
 *
 * `bigint` and `numeric` columns come back as strings (pg's default): money code converts them
 * to `bigint` explicitly, never to a JavaScript number.
 *
 * @returns a knex instance; call `destroy()` on it to close the pool
 */
export function createDatabase(options: DatabaseOptions): Knex {
  const statementTimeoutMs = options.statementTimeoutMs ?? 15_000;
  return knex({
    client: 'pg',
    connection: {
      connectionString: options.url,
      application_name: options.applicationName ?? 'payapi',
      statement_timeout: statementTimeoutMs,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      query_timeout: options.queryTimeoutMs ?? (statementTimeoutMs === 0 ? 0 : statementTimeoutMs + 5_000),
    },
    pool: { min: 0, max: options.poolMax ?? DATABASE_POOL_MAX_DEFAULT },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 10_000,
    log: KNEX_LOG,
  });
}

/**
 * Whether the database answers `SELECT 1` within `timeoutMs`: the readiness check of every service
 * (`GET /readyz`). A query still waiting when the time is up is left to the pool's own limits.
 *
 * @param timeoutMs how long to wait for the answer, milliseconds
 * @returns true when it answered in time; false when it failed or was too slow (never throws)
 */
export async function databaseAnswers(db: Knex, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.raw('SELECT 1').then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
