import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import type { CheckedTransferRequest } from './validate.ts';

/** How long a key keeps its stored result: 24 hours (Stripe; draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** Idempotency keys: 1 to 255 visible ASCII characters (no spaces). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** True when `key` is a well-formed idempotency key: 1 to 255 visible ASCII characters, no spaces. */
export function isIdempotencyKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_SHAPE.test(key);
}

/**
 * @throws {LedgerError} `invalid_request` when the key is not 1 to 255 visible ASCII characters
 */
export function checkIdempotencyKey(key: unknown): string {
  if (!isIdempotencyKey(key)) {
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
