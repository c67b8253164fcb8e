import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { LedgerError, getAccount, getTransfer, parseAmount, transfer } from '@payapi/ledger';
import type { Knex } from 'knex';
import { checkGrantActive, grantAccountIdsOf } from '../auth/check-grant-active.ts';
import { authenticatedOf } from '../auth/request-token.ts';
import { requireScope } from '../auth/require-scope.ts';
import { toWireTransfer } from './wire.ts';

/** The body of `POST /v1/transfers` after OpenAPI validation (types and fields checked, no extra fields). */
interface TransferBody {
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  description?: string;
}

/** Idempotency keys: 1 to 255 visible ASCII characters (contract). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `POST /v1/transfers` and `GET /v1/transfers/{transfer_id}` (contract "Resource API"). Both need
 * `transfers:write` and a grant that is still active.
 *
 * @param authenticate the `authenticate` step, built once for the app
 */
export function transferRoutes(db: Knex, authenticate: RequestHandler): Router {
  const router = Router();
  router.post('/v1/transfers', authenticate, requireScope('transfers:write'), checkGrantActive(db),
    requireIdempotencyKey, checkSourceConsented(db), createTransfer(db));
  router.get('/v1/transfers/:transfer_id', authenticate, requireScope('transfers:write'), checkGrantActive(db),
    sendTransfer(db));
  return router;
}

/**
 * The `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header §2): required, one value.
 *
 * @throws {LedgerError} `invalid_request` (400) when missing, repeated or malformed
 */
const requireIdempotencyKey: RequestHandler = (req, _res, next) => {
  const keys = req.headersDistinct['idempotency-key'] ?? [];
  if (keys.length !== 1 || !IDEMPOTENCY_KEY.test(keys[0] as string)) {
    throw new LedgerError('invalid_request', 'the Idempotency-Key header is required once: 1 to 255 visible ASCII characters');
  }
  next();
};

/**
 * The source must be an account the user consented to in this grant, both when the token was issued
 * and now (and owns); any other answers as absent. Runs after `checkGrantActive`. The destination may be any account: the ledger checks it exists.
 *
 * @throws {LedgerError} `account_not_found`
 */
function checkSourceConsented(db: Knex): RequestHandler {
  return async (req, res, next) => {
    const { token } = authenticatedOf(req);
    const sourceId = (req.body as TransferBody).source_account_id;
    // In the token, and still in the grant's consent (a later consent may have unticked it).
    if (!token.accountIds.has(sourceId) || !grantAccountIdsOf(res).has(sourceId)) {
      throw new LedgerError('account_not_found', 'source account not found');
    }
    const source = await getAccount(db, sourceId);
    if (source.ownerSubject !== token.subject) throw new LedgerError('account_not_found', 'source account not found');
    next();
  };
}

/**
 * Books the transfer through the ledger, idempotent per (client, key) for 24 h. A replay answers
 * the first answer's status and body with `Idempotent-Replayed: true`; the ledger's own checks
 * give `idempotency_key_reused` (422) and `idempotency_key_in_flight` (409).
 */
function createTransfer(db: Knex): RequestHandler {
  return async (req, res) => {
    const { token } = authenticatedOf(req);
    const body = req.body as TransferBody;
    const result = await transfer(db, {
      sourceAccountId: body.source_account_id,
      destinationAccountId: body.destination_account_id,
      amountMinor: parseAmount(body.amount, body.currency),
      currency: body.currency,
      description: body.description ?? null,
    }, { clientId: token.clientId, idempotencyKey: idempotencyKeyOf(req) });
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(201).location(`/v1/transfers/${result.transfer.id}`).json(toWireTransfer(result.transfer));
  };
}

function idempotencyKeyOf(req: Request): string {
  return req.headersDistinct['idempotency-key']?.[0] as string;
}

/**
 * A transfer is visible to the client that made it, from an account consented in this token;
 * anything else is `transfer_not_found`, as if absent.
 */
function sendTransfer(db: Knex): RequestHandler {
  return async (req, res) => {
    const { token } = authenticatedOf(req);
    const found = await getTransfer(db, String(req.params.transfer_id));
    if (found.clientId !== token.clientId || !token.accountIds.has(found.sourceAccountId)) {
      throw new LedgerError('transfer_not_found', 'transfer not found');
    }
    res.json(toWireTransfer(found));
  };
}
