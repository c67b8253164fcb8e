/**
 * The OpenAPI operations of docs/resource-api.md, "Payments": `/v1/payments…` and
 * `/v1/payment-consents/{consent_id}`, for a user's token with `payments:write` whose
 * `authorization_details` carry the payment consent (RFC 9396). Every error `code` is listed.
 */
import { AUTH_ERRORS, COMMON_ERRORS, IDEMPOTENCY_KEY_PARAMETER, ok, problem, security } from './responses.ts';

const SCOPE = 'payments:write';
const CONSENT_ID = 'pc_6a1b2c3d4e5f60718293a4b5c6d7e8f9';
const PAYMENT_EXAMPLE = {
  id: 'pay_0f1e2d3c4b5a69788796a5b4c3d2e1f0', consent_id: CONSENT_ID, transfer_id: 'tr_0c1d2e3f405162738495a6b7c8d9e0f1',
  status: 'completed', debtor_account_id: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8', creditor_account_id: 'acc_9a8b7c6d5e4f30211203f4e5d6c7b8a9',
  amount: '123.50', currency: 'CNY', remittance_information: 'Invoice 2026-117', created_at: '2026-12-08T09:31:00.654321Z',
};
const MANDATE_EXAMPLE = {
  id: CONSENT_ID, type: 'payment_mandate', status: 'authorised', debtor_account_id: PAYMENT_EXAMPLE.debtor_account_id,
  creditor_account_id: PAYMENT_EXAMPLE.creditor_account_id, currency: 'CNY', maximum_individual_amount: '100.00',
  periodic_limits: [{ period: 'day', amount: '300.00' }, { period: 'month', amount: '2000.00' }], valid_until: '2027-06-30T00:00:00.000000Z',
  spent: [{ period: 'day', period_start: '2026-12-08T00:00:00.000000Z', amount: '100.00' }, { period: 'month', period_start: '2026-12-01T00:00:00.000000Z', amount: '850.00' }],
  created_at: '2026-12-01T10:00:00.000000Z',
};
const CONSENT_NOT_FOUND = problem('404 Not Found: the access token carries no such payment consent', ['payment_consent_not_found']);

/** `paths` entries of the payment routes. */
export function paymentPaths(): Record<string, unknown> {
  return {
    '/v1/payments': {
      post: {
        operationId: 'createPayment', tags: ['Payments'], summary: 'Pay on a payment consent the user authorised',
        description: [
          `Scope \`${SCOPE}\`, and an access token whose \`authorization_details\` carry the consent (\`consent_id\`): the user authorised exactly this payment, or a mandate with limits, on the consent page.`,
          'A token pays only its own consent (another `consent_id` is 404), only from the account the user chose, only to the creditor the user saw.',
          '',
          '`payment_initiation`: send no `amount`; the consent\'s amount is paid, once (a second payment is 422 `consent_consumed`).',
          '`payment_mandate`: send the `amount`; each payment is at most `maximum_individual_amount`, and the payments of each calendar day, week (from Monday) and month (from the 1st), in UTC, stay within the `periodic_limits`, or 422 `consent_limit_exceeded`; after `valid_until`, 422 `consent_expired`.',
          'The check and the booking are one transaction: the limits hold however many payments you send at once.',
          'A revoked consent or grant is 401 `invalid_token`.',
          '',
          '`Idempotency-Key` is required, with the semantics of `POST /v1/transfers` (one key space with transfers).',
        ].join('\n'),
        security: security(SCOPE),
        parameters: [{ ...IDEMPOTENCY_KEY_PARAMETER, example: '0b8e2c44-5d8a-4b1f-a3a7-6c1e9f0d2b35' }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/PaymentRequest' }, examples: {
            single: { summary: 'A single payment (payment_initiation)', value: { consent_id: CONSENT_ID } },
            mandate: { summary: 'A payment on a mandate (payment_mandate)', value: { consent_id: CONSENT_ID, amount: '42.00', remittance_information: 'December' } },
          } } },
        },
        responses: {
          '201': { ...ok('The payment, completed', 'Payment', PAYMENT_EXAMPLE, {
            Location: { description: 'The payment\'s URL.', schema: { type: 'string', format: 'uri-reference', maxLength: 2048 } },
            'Idempotent-Replayed': { description: '`true` when this is the stored answer of an earlier request with the same key.', schema: { type: 'string', enum: ['true'] } },
          }), links: {
            GetPayment: { operationId: 'getPayment', parameters: { payment_id: '$response.body#/id' }, description: 'Read the payment back by its `id`.' },
            GetPaymentConsent: { operationId: 'getPaymentConsent', parameters: { consent_id: '$response.body#/consent_id' }, description: 'What the consent has left.' },
          } },
          '400': problem('400 Bad Request: malformed JSON, a missing or extra field, an amount on a single payment or none on a mandate, a bad amount or key', ['invalid_request', 'invalid_amount']),
          ...AUTH_ERRORS,
          '404': CONSENT_NOT_FOUND,
          '409': problem('409 Conflict: a request with this key is still running', ['idempotency_key_in_flight']),
          '413': problem('413 Content Too Large: the body is over 64 KiB', ['content_too_large']),
          '415': problem('415 Unsupported Media Type: send application/json', ['unsupported_media_type']),
          '422': problem('422 Unprocessable Content: the payment was refused', ['consent_consumed', 'consent_limit_exceeded', 'consent_expired',
            'insufficient_funds', 'currency_mismatch', 'balance_out_of_range', 'idempotency_key_reused']),
          ...COMMON_ERRORS,
        },
      },
    },
    '/v1/payments/{payment_id}': {
      get: {
        operationId: 'getPayment', tags: ['Payments'], summary: 'A payment made on your token\'s consent',
        description: `Scope \`${SCOPE}\`. Only payments on a consent this token carries; any other is 404.`,
        security: security(SCOPE),
        parameters: [{ name: 'payment_id', in: 'path', required: true, schema: { type: 'string', maxLength: 255 }, example: PAYMENT_EXAMPLE.id }],
        responses: {
          '200': ok('The payment', 'Payment', PAYMENT_EXAMPLE),
          ...AUTH_ERRORS,
          '404': problem('404 Not Found: no such payment on a consent of this token', ['payment_not_found']),
          ...COMMON_ERRORS,
        },
      },
    },
    '/v1/payment-consents/{consent_id}': {
      get: {
        operationId: 'getPaymentConsent', tags: ['Payments'], summary: 'The state of your token\'s payment consent',
        description: `Scope \`${SCOPE}\`. Status, terms, and for a mandate what was spent in the current period of each limit. A revoked consent is 401.`,
        security: security(SCOPE),
        parameters: [{ name: 'consent_id', in: 'path', required: true, schema: { type: 'string', maxLength: 255 }, example: CONSENT_ID }],
        responses: {
          '200': ok('The consent', 'PaymentConsent', MANDATE_EXAMPLE),
          ...AUTH_ERRORS,
          '404': CONSENT_NOT_FOUND,
          ...COMMON_ERRORS,
        },
      },
    },
  };
}
