import { LedgerError, retryAborted, toPostTransfersItem } from '@payapi/ledger';
import { readInteger } from '@payapi/platform';
import type { PostTransferArguments, TransferResult } from '@payapi/ledger';
import type { Knex } from 'knex';
import pLimit from 'p-limit';
import type { Histogram } from 'prom-client';
import { isDatabaseUnavailable } from '../errors/database-unavailable.ts';
import { postTransferWithGrant, readPostTransferAnswer } from './post-transfer-with-grant.ts';
import type { ApiPostTransferAnswer, GrantRefusal } from './post-transfer-with-grant.ts';

/** How transfers of this process are grouped into database calls (`TRANSFER_BATCH_MAX`, `TRANSFER_BATCHES_IN_FLIGHT`). */
export interface TransferBatchSettings {
  /** Most transfers in one database call and commit, 1 to 256 (default 64); 1 books every transfer alone, as before batching. */
  batchMax: number;
  /**
   * Batches at the database at once, each on a pooled connection of its own, 1 to 8 (default 2; the
   * pool holds 10, so reads keep connections while batches run).
   */
  inFlightMax: number;
}

/**
 * Transfers that may wait for a batch, per `batchMax` (16 batches' worth, 1,024 at the default): a
 * transfer arriving beyond that is refused at once with `ledger_busy` (503 with `Retry-After`)
 * instead of waiting in memory for as long as the backlog takes.
 */
export const TRANSFER_QUEUE_BATCHES_MAX = 16;

/** Defaults of {@link TransferBatchSettings}. */
export const TRANSFER_BATCH_DEFAULTS: Readonly<TransferBatchSettings> = { batchMax: 64, inFlightMax: 2 };

/**
 * Reads `TRANSFER_BATCH_MAX` (an integer from 1 to 256) and `TRANSFER_BATCHES_IN_FLIGHT` (1 to 8);
 * unset or empty is the default ({@link TRANSFER_BATCH_DEFAULTS}).
 *
 * @throws {ConfigError} naming the variable
 */
export function readTransferBatchSettings(env: Readonly<Record<string, string | undefined>>): TransferBatchSettings {
  return {
    batchMax: readInteger('TRANSFER_BATCH_MAX', env.TRANSFER_BATCH_MAX, TRANSFER_BATCH_DEFAULTS.batchMax, 1, 256),
    inFlightMax: readInteger('TRANSFER_BATCHES_IN_FLIGHT', env.TRANSFER_BATCHES_IN_FLIGHT, TRANSFER_BATCH_DEFAULTS.inFlightMax, 1, 8),
  };
}

/** What booking one transfer gives: a grant refusal (nothing written), or the ledger's result. */
export type BookingAnswer = { refused: GrantRefusal } | TransferResult;

/** Books transfers for access tokens, several at once when they arrive together. */
export interface TransferBooker {
  /**
   * Books one transfer with the same outcome as `postTransferWithGrant` (see there), possibly in
   * one database call and commit with other transfers of this process.
   *
   * @param jti the access token's `jti` claim (RFC 9068 §2.2)
   * @param args from `preparePostTransfer` (@payapi/ledger)
   * @throws {LedgerError} the ledger's refusals of this transfer; `ledger_busy` when the database is
   *   too busy (a lock or connection wait ran out, or retries of aborted batches ran out)
   */
  book(jti: string, args: PostTransferArguments): Promise<BookingAnswer>;
}

interface Waiting {
  jti: string;
  args: PostTransferArguments;
  resolve: (answer: BookingAnswer) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for `POST /v1/transfers` (docs/resource-api.md, "Transfers are booked in batches"):
 * a transfer that arrives while fewer than `inFlightMax` batches are at the database is sent at
 * once; one that arrives while they all are waits, with whatever else arrives meanwhile, for the
 * next free slot, and then up to `batchMax` of the waiting go together, in arrival order, as one
 * statement and one commit (`api.post_transfers`, migration 20261209_01). There is no timer: a
 * lone transfer never waits, and under load the batches grow by themselves to what arrives during
 * one round trip.
 *
 * Each transfer gets its own outcome: a refusal (insufficient funds, a reused idempotency key, a
 * revoked grant) fails that transfer alone. A batch aborted by a serialization failure or deadlock
 * is sent again whole (`retryAborted`; the database locks a batch's accounts in one global order,
 * so batches do not deadlock each other). A batch whose accounts stayed locked elsewhere for a
 * second (the function answers NULL, nothing written), or whose statement failed otherwise (it wrote
 * nothing: one transaction), is booked one by one, `inFlightMax` (at least 2) at a time, so a busy
 * account delays its own transfer only and an error belongs to the transfer that causes it, while
 * the pool keeps connections for reads.
 * When the database is unavailable (`isDatabaseUnavailable`) or too busy (`ledger_busy`), every
 * transfer of the batch gets that error (503: its retry with the same key books it once). A batch of
 * one is booked with `api.post_transfer`, the statement of a transfer booked alone. At most
 * `batchMax` x {@link TRANSFER_QUEUE_BATCHES_MAX} transfers wait; more are refused at once.
 *
 * @param batchSizes observes the size of every batch sent (optional)
 */
export function createTransferBooker(db: Knex, settings: TransferBatchSettings, batchSizes?: Histogram): TransferBooker {
  if (settings.batchMax <= 1) {
    return { book: (jti, args) => postTransferWithGrant(db, jti, args) };
  }
  const waiting: Waiting[] = [];
  const waitingMax = settings.batchMax * TRANSFER_QUEUE_BATCHES_MAX;
  let inFlight = 0;
  const bookAlone = (entry: Waiting): Promise<void> => postTransferWithGrant(db, entry.jti, entry.args).then(entry.resolve, entry.reject);
  const oneByOne = async (batch: readonly Waiting[]): Promise<void> => {
    const limit = pLimit(Math.max(2, settings.inFlightMax));
    await Promise.all(batch.map((entry) => limit(() => bookAlone(entry))));
  };
  const send = async (batch: Waiting[]): Promise<void> => {
    batchSizes?.observe(batch.length);
    if (batch.length === 1) {
      await bookAlone(batch[0] as Waiting);
      return;
    }
    let answers: ApiPostTransferAnswer[] | null;
    try {
      answers = await postTransfers(db, batch);
    } catch (error) {
      if (error instanceof LedgerError || isDatabaseUnavailable(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      answers = null;
    }
    if (answers === null) {
      await oneByOne(batch);
      return;
    }
    batch.forEach((entry, index) => {
      try {
        entry.resolve(readPostTransferAnswer(answers[index]));
      } catch (error) {
        entry.reject(error);
      }
    });
  };
  const pump = (): void => {
    while (inFlight < settings.inFlightMax && waiting.length > 0) {
      const batch = waiting.splice(0, settings.batchMax);
      inFlight += 1;
      void send(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };
  return {
    book(jti, args) {
      if (waiting.length >= waitingMax) {
        return Promise.reject(new LedgerError('ledger_busy', 'too many transfers are waiting for the ledger; retry later'));
      }
      return new Promise<BookingAnswer>((resolve, reject) => {
        waiting.push({ jti, args, resolve, reject });
        pump();
      });
    },
  };
}

/**
 * One `api.post_transfers` call for the batch, retried whole when PostgreSQL aborts it.
 *
 * @returns one answer per transfer, in the batch's order; null when the batch's accounts stayed
 *   locked by other transactions for a second (nothing was written)
 * @throws {LedgerError} `ledger_busy` (see `retryAborted`)
 * @throws {Error} any other failure of the statement (nothing was written), or an answer of the wrong length
 */
async function postTransfers(db: Knex, batch: readonly Waiting[]): Promise<ApiPostTransferAnswer[] | null> {
  const items = batch.map((entry) => ({ jti: entry.jti, ...toPostTransfersItem(entry.args) }));
  const { rows } = await retryAborted(() => db.raw<{ rows: Array<{ answers: ApiPostTransferAnswer[] | null }> }>(
    'SELECT api.post_transfers(?::jsonb) AS answers', [JSON.stringify(items)]));
  const answers = rows[0]?.answers;
  if (answers === null) return null;
  if (!Array.isArray(answers) || answers.length !== batch.length) {
    throw new Error(`api.post_transfers answered ${Array.isArray(answers) ? answers.length : 'no'} answers for ${batch.length} transfers`);
  }
  return answers;
}
