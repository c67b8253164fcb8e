import type { Request } from 'express';
import { LedgerError, isIdempotencyKey } from '@payapi/ledger';

/**
 * The `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header §2) of `POST /v1/transfers`
 * and `POST /v1/payments`: required, one value, 1 to 255 visible ASCII characters.
 *
 * @throws {LedgerError} `invalid_request` (400) when missing, repeated or malformed
 */
export function requireIdempotencyKey(req: Request): string {
  const keys = req.headersDistinct['idempotency-key'] ?? [];
  if (keys.length !== 1 || !isIdempotencyKey(keys[0])) {
    throw new LedgerError('invalid_request', 'the Idempotency-Key header is required once: 1 to 255 visible ASCII characters');
  }
  return keys[0] as string;
}
