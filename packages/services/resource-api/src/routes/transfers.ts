import { Router } from 'express';
import type { RequestHandler } from 'express';
import { LedgerError, getTransfer, parseAmount, preparePostTransfer } from '@payapi/ledger';
import type { PostTransferArguments, TransferRequest } from '@payapi/ledger';
import type { Knex } from 'knex';
import { checkGrantActive, requireActiveGrant } from '../auth/check-grant-active.ts';
import { unauthorized } from '../auth/challenge.ts';
import { authenticatedOf } from '../auth/request-token.ts';
import { requireScope } from '../auth/require-scope.ts';
import { requireIdempotencyKey } from '../request/idempotency-key.ts';
import type { TransferBooker } from './transfer-batches.ts';
import { toWireTransfer } from './wire.ts';

/** The body of `POST /v1/transfers` after OpenAPI validation (types and fields checked, no extra fields). */
interface TransferBody {
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  description?: string;
}

/**
 * `POST /v1/transfers` and `GET /v1/transfers/{transfer_id}` (docs/resource-api.md, "Endpoints"). Both need
 * `transfers:write` and a grant that is still active; a POST checks the grant in the same database
 * statement that books the transfer (one round trip in all).
 *
 * @param authenticate the `authenticate` step, built once for the app
 * @param booker books the POSTs, in batches when they arrive together (`createTransferBooker`)
 */
export function transferRoutes(db: Knex, authenticate: RequestHandler, booker: TransferBooker): Router {
  const router = Router();
  router.post('/v1/transfers', authenticate, requireScope('transfers:write'), createTransfer(db, booker));
  router.get('/v1/transfers/:transfer_id', authenticate, requireScope('transfers:write'), requireActiveGrant(db),
    sendTransfer(db));
  return router;
}

/**
 * Books the transfer through the ledger, idempotent per (client, subject, key) for 24 h, in one database
 * statement (`api.post_transfer`, see `post-transfer-with-grant.ts`, or with other transfers of this
 * process in `api.post_transfers`, see `transfer-batches.ts`) that first checks the grant
 * (SQL `auth.access_token_account_ids(jti)`: still active, and the source still consented: a later
 * consent may have unticked it), then that the source is in the token and owned by its subject (else
 * `account_not_found`, as if absent; the destination may be any account: the ledger checks it
 * exists). A replay answers the first answer's status and body with `Idempotent-Replayed: true`; the
 * ledger gives `idempotency_key_reused` (422) and `idempotency_key_in_flight` (409).
 *
 * A request refused before the database (missing key, malformed amount, same account) still answers
 * 401 first when the grant is revoked, as every `transfers:write` call must (docs/resource-api.md).
 */
function createTransfer(db: Knex, booker: TransferBooker): RequestHandler {
  return async (req, res) => {
    const { token, scheme } = authenticatedOf(req);
    const body = req.body as TransferBody;
    let prepared: PostTransferArguments;
    try {
      const idempotencyKey = requireIdempotencyKey(req);
      const request: TransferRequest = {
        sourceAccountId: body.source_account_id,
        destinationAccountId: body.destination_account_id,
        amountMinor: parseAmount(body.amount, body.currency),
        currency: body.currency,
        description: body.description ?? null,
      };
      if (!token.accountIds.has(request.sourceAccountId)) throw new LedgerError('account_not_found', 'source account not found');
      prepared = preparePostTransfer(request,
        { clientId: token.clientId, subject: token.subject, idempotencyKey, sourceOwnerSubject: token.subject });
    } catch (error) {
      await checkGrantActive(db, token, scheme);
      throw error;
    }
    const result = await booker.book(token.jti, prepared);
    if ('refused' in result) {
      if (result.refused === 'grant_revoked') throw unauthorized(scheme, 'the grant behind this access token has been revoked');
      throw new LedgerError('account_not_found', 'source account not found');
    }
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(201).location(`/v1/transfers/${result.transfer.id}`).json(toWireTransfer(result.transfer));
  };
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
