import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import type { LedgerErrorCode } from './errors.ts';
import type { Transfer } from './types.ts';
import type { CheckedTransferRequest } from './validate.ts';

/** How long a key keeps its stored result: 24 hours (Stripe; draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * How long a claim stays exclusive, in seconds. A process that dies mid-request leaves its claim
 * `in_flight`; after the lease another request with the same key and body may take it over. This
 * is safe because the transfer and the record's completion commit together: an unfinished claim
 * means no transfer was written.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 60;

/** Idempotency keys: 1 to 255 visible ASCII characters (no spaces). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** What a completed key replays: the transfer made, or the refusal given. */
export type StoredOutcome =
  | { transfer: StoredTransfer }
  | { error: { code: LedgerErrorCode; message: string } };

/** A {@link Transfer} as JSON: `amountMinor` as a decimal string of minor units. */
export type StoredTransfer = Omit<Transfer, 'amountMinor'> & { amountMinor: string };

/** A claim on a key: the right to execute the request once. */
export interface IdempotencyClaim {
  clientId: string;
  key: string;
  /** Proves that the lease is still ours when completing. */
  token: string;
}

/**
 * @throws {LedgerError} `invalid_request` when the key is not 1 to 255 visible ASCII characters
 */
export function checkIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || !KEY_SHAPE.test(key)) {
    throw new LedgerError('invalid_request', 'idempotency key must be 1 to 255 visible ASCII characters');
  }
  return key;
}

/** SHA-256 (hex) of the request's canonical form: two requests are "the same" when this matches. */
export function requestHash(request: CheckedTransferRequest): string {
  const canonical = JSON.stringify([
    request.sourceAccountId,
    request.destinationAccountId,
    request.amountMinor.toString(),
    request.currency,
    request.description,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Claims `(clientId, key)` for a request. A new key, an expired one, or an abandoned claim of the
 * same request whose lease ran out is claimed; a completed key of the same request is replayed.
 *
 * @returns `{ claim }` to go ahead, or `{ outcome }` to replay
 * @throws {LedgerError} `idempotency_key_reused` when the key holds another request;
 *   `idempotency_key_in_flight` while another execution holds it
 */
export async function claimIdempotencyKey(
  db: Knex,
  clientId: string,
  key: string,
  hash: string,
): Promise<{ claim: IdempotencyClaim } | { outcome: StoredOutcome }> {
  const token = randomBytes(16).toString('hex');
  // Three tries: between a refused claim and the read of what refused it, the row may expire or vanish.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const claimed = await db.raw<{ rows: unknown[] }>(
      `INSERT INTO ledger.idempotency_records AS r
         (client_id, idempotency_key, request_hash, state, claim_token, locked_until, created_at, expires_at)
       VALUES (?, ?, ?, 'in_flight', ?, now() + make_interval(secs => ?), now(), now() + make_interval(secs => ?))
       ON CONFLICT (client_id, idempotency_key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, state = 'in_flight', claim_token = EXCLUDED.claim_token,
             locked_until = EXCLUDED.locked_until, response = NULL, transfer_id = NULL,
             created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
         WHERE r.expires_at <= now()
            OR (r.state = 'in_flight' AND r.locked_until <= now() AND r.request_hash = EXCLUDED.request_hash)
       RETURNING 1`,
      [clientId, key, hash, token, IDEMPOTENCY_LEASE_SECONDS, IDEMPOTENCY_TTL_SECONDS],
    );
    if (claimed.rows.length === 1) return { claim: { clientId, key, token } };
    const { rows } = await db.raw<{ rows: Array<{ request_hash: string; state: string; response: StoredOutcome | null }> }>(
      `SELECT request_hash, state, response FROM ledger.idempotency_records
        WHERE client_id = ? AND idempotency_key = ? AND expires_at > now()`,
      [clientId, key],
    );
    const existing = rows[0];
    if (!existing) continue;
    if (existing.request_hash !== hash) {
      throw new LedgerError('idempotency_key_reused', 'this idempotency key was already used for a different request');
    }
    if (existing.state === 'completed' && existing.response) return { outcome: existing.response };
    throw new LedgerError('idempotency_key_in_flight', 'a request with this idempotency key is still being processed');
  }
  throw new LedgerError('idempotency_key_in_flight', 'a request with this idempotency key is still being processed');
}

/**
 * Stores the outcome of a claimed key, inside the caller's transaction when it made a transfer,
 * so that the transfer and its record commit or roll back together.
 *
 * @throws {LedgerError} `idempotency_key_in_flight` when the claim was lost (its lease ran out and
 *   another execution took over); the caller's transaction must then roll back
 */
export async function completeIdempotencyKey(
  db: Knex | Knex.Transaction,
  claim: IdempotencyClaim,
  outcome: StoredOutcome,
  transferId: string | null,
): Promise<void> {
  const updated = await db.raw<{ rowCount: number }>(
    `UPDATE ledger.idempotency_records
        SET state = 'completed', response = ?::jsonb, transfer_id = ?, claim_token = NULL, locked_until = NULL
      WHERE client_id = ? AND idempotency_key = ? AND state = 'in_flight' AND claim_token = ?`,
    [JSON.stringify(outcome), transferId, claim.clientId, claim.key, claim.token],
  );
  if (updated.rowCount !== 1) {
    throw new LedgerError('idempotency_key_in_flight', 'the claim on this idempotency key expired and was taken over');
  }
}

/** Gives a claimed key back unused (after an unexpected failure), so the client may retry at once. */
export async function releaseIdempotencyKey(db: Knex, claim: IdempotencyClaim): Promise<void> {
  await db.raw(
    `DELETE FROM ledger.idempotency_records
      WHERE client_id = ? AND idempotency_key = ? AND state = 'in_flight' AND claim_token = ?`,
    [claim.clientId, claim.key, claim.token],
  );
}

/**
 * Deletes up to `batchSize` expired idempotency records (oldest first). Run it periodically; loop
 * while it returns `batchSize` to catch up in bounded steps.
 *
 * @returns how many records were deleted
 */
export async function purgeExpiredIdempotencyRecords(db: Knex, batchSize = 1000): Promise<number> {
  const result = await db.raw<{ rowCount: number }>(
    `DELETE FROM ledger.idempotency_records
      WHERE ctid IN (SELECT ctid FROM ledger.idempotency_records WHERE expires_at <= now()
                      ORDER BY expires_at LIMIT ?)`,
    [batchSize],
  );
  return result.rowCount;
}

/** The JSON form of a transfer, for storage. */
export function storeTransfer(transfer: Transfer): StoredTransfer {
  return { ...transfer, amountMinor: transfer.amountMinor.toString() };
}

/** Back from storage. */
export function loadTransfer(stored: StoredTransfer): Transfer {
  return { ...stored, amountMinor: BigInt(stored.amountMinor) };
}
