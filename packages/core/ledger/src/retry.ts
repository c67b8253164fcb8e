import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import { RETRYABLE_SQLSTATES, TIMEOUT_SQLSTATES, sqlState } from './sql.ts';

/** Options for {@link withTransactionRetry}. */
export interface RetryOptions {
  /** Attempts in all, first one included. Default 6. */
  attemptsMax?: number;
  /** Base of the exponential backoff between attempts, in milliseconds (full jitter). Default 4. */
  backoffBaseMs?: number;
  /** Transaction isolation level. Default: the server's (READ COMMITTED on PostgreSQL). */
  isolationLevel?: Knex.IsolationLevels;
}

/**
 * Runs `work` in a database transaction and runs it again, in a new transaction, when PostgreSQL
 * aborts it with a serialization failure (40001) or a deadlock (40P01), a bounded number of times
 * (see {@link retryAborted}). `work` must therefore have no effect outside the transaction.
 *
 * @returns what `work` returns, from the attempt that committed
 * @throws {LedgerError} `ledger_busy` when every attempt was aborted that way, or on a timeout
 * @throws whatever `work` throws otherwise (the transaction is rolled back)
 */
export async function withTransactionRetry<T>(
  db: Knex,
  work: (trx: Knex.Transaction) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const config: Knex.TransactionConfig = options.isolationLevel ? { isolationLevel: options.isolationLevel } : {};
  return retryAborted(() => db.transaction(work, config), options);
}

/**
 * Runs `attempt` (one database transaction: a `db.transaction(...)`, or one statement sent on its
 * own, which PostgreSQL runs as its own transaction) and runs it again when PostgreSQL aborted it
 * with a serialization failure (40001) or a deadlock (40P01), up to `attemptsMax` times in all,
 * with full-jitter exponential backoff. Such aborts mean "try again", never "refused": they are not
 * turned into business errors. A wait that ran out (statement or lock timeout, or no pooled
 * connection free within the acquire timeout) is not retried: it is reported as `ledger_busy` too,
 * never as a raw database error.
 *
 * @returns what `attempt` returns, from the attempt that committed
 * @throws {LedgerError} `ledger_busy` when every attempt was aborted, or on a timeout
 * @throws whatever `attempt` throws otherwise
 */
export async function retryAborted<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attemptsMax = options.attemptsMax ?? 6;
  const backoffBaseMs = options.backoffBaseMs ?? 4;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      return await attempt();
    } catch (error) {
      const state = sqlState(error);
      if ((state !== undefined && TIMEOUT_SQLSTATES.has(state)) || isPoolTimeout(error)) {
        throw new LedgerError('ledger_busy', 'the ledger is busy (a wait for a lock or a connection timed out); retry later');
      }
      if (state === undefined || !RETRYABLE_SQLSTATES.has(state)) throw error;
      if (attemptNumber >= attemptsMax) {
        throw new LedgerError('ledger_busy', `the ledger is busy (${attemptNumber} attempts aborted by concurrent transfers); retry later`);
      }
      const ceilingMs = backoffBaseMs * 2 ** attemptNumber;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
    }
  }
}

/** knex's KnexTimeoutError: no pooled connection became free within `acquireConnectionTimeout`. */
function isPoolTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'KnexTimeoutError';
}
