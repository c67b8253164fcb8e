import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import {
  LedgerError, POST_PAYMENT_ARGUMENTS_SQL, getPayment, getPaymentConsent, parseAmount, postPaymentBindings, postPaymentResult,
  preparePostPayment, retryAborted, toWirePayment, toWirePaymentConsent,
} from '@payapi/ledger';
import type { PaymentResult, PostPaymentAnswer } from '@payapi/ledger';
import type { Knex } from 'knex';
import type { TokenPaymentConsent } from '../auth/access-token.ts';
import { unauthorized } from '../auth/challenge.ts';
import { authenticatedOf } from '../auth/request-token.ts';
import { requireScope } from '../auth/require-scope.ts';
import { requireIdempotencyKey } from '../request/idempotency-key.ts';

/** The body of `POST /v1/payments` after OpenAPI validation. */
interface PaymentBody {
  consent_id: string;
  amount?: string;
  remittance_information?: string;
}

/**
 * `POST /v1/payments`, `GET /v1/payments/{payment_id}`, `GET /v1/payment-consents/{consent_id}`
 * (docs/resource-api.md, "Payments"). Scope `payments:write`; the token's `authorization_details`
 * bind every call to the payment consent the user authorised (RFC 9396; dynamic linking, PSD2 RTS
 * Art. 5): a consent not in the token answers as absent.
 *
 * @param authenticate the `authenticate` step, built once for the app
 */
export function paymentRoutes(db: Knex, authenticate: RequestHandler): Router {
  const router = Router();
  router.post('/v1/payments', authenticate, requireScope('payments:write'), createPayment(db));
  router.get('/v1/payments/:payment_id', authenticate, requireScope('payments:write'), sendPayment(db));
  router.get('/v1/payment-consents/:consent_id', authenticate, requireScope('payments:write'), sendPaymentConsent(db));
  return router;
}

/**
 * The token's element for `consentId`.
 *
 * @throws {LedgerError} `payment_consent_not_found` when the token carries no such consent
 */
function tokenConsent(req: Request, consentId: unknown): TokenPaymentConsent {
  const { token } = authenticatedOf(req);
  const found = token.paymentConsents.find((consent) => consent.consentId === consentId);
  if (!found) throw new LedgerError('payment_consent_not_found', 'payment consent not found');
  return found;
}

/**
 * Pays on the token's consent in one database statement (`api.post_payment`: the grant's state,
 * then the ledger's consent check and booking, then the events; migration 20261208_01), idempotent
 * per (client, subject, key) for 24 h like transfers. A single payment pays the consent's amount
 * (an `amount` in the body is refused); a mandate's payment names its `amount`, in the consent's
 * currency. The consent must belong to the token's user. A revoked grant or consent is 401.
 */
function createPayment(db: Knex): RequestHandler {
  return async (req, res) => {
    const { token, scheme } = authenticatedOf(req);
    const body = req.body as PaymentBody;
    const idempotencyKey = requireIdempotencyKey(req);
    const consent = tokenConsent(req, body.consent_id);
    if (consent.type === 'payment_initiation' && body.amount !== undefined) {
      throw new LedgerError('invalid_request', 'amount is only for a payment_mandate: a single payment\'s amount is the consent\'s');
    }
    if (consent.type === 'payment_mandate' && body.amount === undefined) {
      throw new LedgerError('invalid_request', 'a payment on a payment_mandate needs an amount');
    }
    const args = preparePostPayment({
      consentId: consent.consentId,
      amountMinor: body.amount === undefined ? null : parseAmount(body.amount, consent.currency),
      currency: consent.currency,
      remittanceInformation: body.remittance_information ?? null,
    }, { clientId: token.clientId, subject: token.subject, idempotencyKey, debtorOwnerSubject: token.subject });
    const { rows } = await retryAborted(() => db.raw<{ rows: Array<{ answer: PostPaymentAnswer | { refused: { code: 'grant_revoked' } } }> }>(
      `SELECT api.post_payment(p_jti => ?, ${POST_PAYMENT_ARGUMENTS_SQL}) AS answer`, [token.jti, ...postPaymentBindings(args)]));
    const answer = rows[0]?.answer;
    if (answer && 'refused' in answer && answer.refused.code === 'grant_revoked') {
      throw unauthorized(scheme, 'the grant behind this access token has been revoked');
    }
    let result: PaymentResult;
    try {
      result = postPaymentResult(answer as PostPaymentAnswer | undefined);
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'consent_revoked') throw unauthorized(scheme, 'the payment consent has been revoked');
      throw error;
    }
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(201).location(`/v1/payments/${result.payment.id}`).json(toWirePayment(result.payment));
  };
}

/** A payment on one of the token's consents; any other answers `payment_not_found`, as if absent. */
function sendPayment(db: Knex): RequestHandler {
  return async (req, res) => {
    const { token } = authenticatedOf(req);
    const payment = await getPayment(db, String(req.params.payment_id));
    if (!token.paymentConsents.some((consent) => consent.consentId === payment.consentId)) {
      throw new LedgerError('payment_not_found', 'payment not found');
    }
    res.json(toWirePayment(payment));
  };
}

/** The token's consent now: status, terms, what was spent in the current periods. Revoked: 401. */
function sendPaymentConsent(db: Knex): RequestHandler {
  return async (req, res) => {
    const { scheme } = authenticatedOf(req);
    const consent = await getPaymentConsent(db, tokenConsent(req, req.params.consent_id).consentId);
    if (consent.status === 'revoked') throw unauthorized(scheme, 'the payment consent has been revoked');
    res.json(toWirePaymentConsent(consent));
  };
}
