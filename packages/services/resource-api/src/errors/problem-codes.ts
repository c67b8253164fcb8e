/**
 * Every `code` a problem document of the resource API can carry (RFC 9457 §3.2 extension member),
 * with what it means and what to do: the page `GET /problems/{code}` that each problem's `type`
 * points at (src/problems/problem-pages.ts). `ApiProblem` takes only a {@link ProblemCode}, and the
 * catalogue is a `Record` of them, so a new code without an entry fails the type check.
 */
import type { EventsErrorCode } from '@payapi/events';
import type { LedgerErrorCode } from '@payapi/ledger';

/** Codes the resource API answers by itself, besides the ledger's and the events package's. */
type ApiErrorCode =
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'insufficient_scope'
  | 'not_found'
  | 'method_not_allowed'
  | 'content_too_large'
  | 'unsupported_media_type'
  | 'request_header_fields_too_large'
  | 'rate_limited'
  | 'internal_error'
  | 'database_unavailable'
  | 'authorization_server_unavailable'
  | 'temporarily_unavailable';

/** A stable snake_case `code` of a problem document. */
export type ProblemCode = ApiErrorCode | LedgerErrorCode | EventsErrorCode;

/** One entry of the catalogue: the page's content. */
export interface ProblemEntry {
  /** The HTTP status(es) answered with this code. */
  statuses: readonly number[];
  /** A short title (the page's heading after the code). */
  title: string;
  /** What happened, in sentences. */
  meaning: string;
  /** What the partner should do, in sentences. */
  action: string;
}

const RETRY = 'Retry the same request after the `Retry-After` seconds, with the same `Idempotency-Key` for a transfer or a payment, so that it is made at most once.';

/** The catalogue, by code, in the order of the index page (grouped by status). */
export const PROBLEM_CATALOGUE: Readonly<Record<ProblemCode, ProblemEntry>> = {
  invalid_request: {
    statuses: [400],
    title: 'The request is malformed',
    meaning: 'A parameter, header or body member is missing, extra or not in its documented shape (the `detail` names it), or the body is not valid JSON. Nothing was changed.',
    action: 'Fix the request as the `detail` says; the OpenAPI document (`/openapi.json`) gives every shape. Do not retry unchanged.',
  },
  invalid_amount: {
    statuses: [400],
    title: 'The amount is not valid',
    meaning: 'Amounts are decimal strings in major units with exactly the currency\'s minor digits ("12.34" for CNY, "1200" for JPY), greater than zero, never JSON numbers. This one is not.',
    action: 'Send the amount as a string with the currency\'s number of decimals.',
  },
  unsupported_currency: {
    statuses: [400],
    title: 'The currency is not supported',
    meaning: 'The `currency` is not an ISO 4217 code that this ledger holds accounts in.',
    action: 'Use the currency of the accounts involved (each account names its `currency`).',
  },
  invalid_cursor: {
    statuses: [400],
    title: 'The cursor is not valid',
    meaning: 'A `cursor` must be a `next_cursor` this API returned for the same list, unchanged.',
    action: 'Start again from the first page (no `cursor`) and follow `next_cursor` as returned.',
  },
  invalid_token: {
    statuses: [401],
    title: 'The access token cannot be used',
    meaning: 'The token is missing, malformed, expired, not issued for this API, or its grant or payment consent was revoked (by the user, by revocation, or by the reuse of a refresh token or code). The `WWW-Authenticate` header says which, in `error_description`.',
    action: 'Get a new access token: refresh it, or send the user through the authorization code flow again when the grant was revoked. Send it as `Authorization: Bearer <token>` (or `DPoP <token>` with a proof for a DPoP-bound token).',
  },
  invalid_dpop_proof: {
    statuses: [401],
    title: 'The DPoP proof is not valid',
    meaning: 'A DPoP-bound token (RFC 9449) needs a fresh `DPoP` proof per request, signed by the bound key, with this request\'s method and URL (`htm`, `htu`), the token\'s hash (`ath`), a new `jti` and a current `iat`. This one fails one of those checks (the `error_description` says which), or was used before.',
    action: 'Make a new proof for each request with the key the token is bound to; openid-client\'s DPoP handle does it for you.',
  },
  consent_revoked: {
    statuses: [401],
    title: 'The payment consent was revoked',
    meaning: 'The user revoked the payment consent this token carries: nothing more may be paid on it. It is answered as 401 `invalid_token`.',
    action: 'Ask the user to authorise a new payment or mandate.',
  },
  insufficient_scope: {
    statuses: [403],
    title: 'The token lacks the scope',
    meaning: 'The route needs a scope the token does not carry (the `WWW-Authenticate` header names it), or a client-credentials token where a user\'s token was sent (webhooks and events), or the other way round.',
    action: 'Ask for the scope in the authorization request (the user consents to it), or, for webhooks and events, use a client-credentials token with `webhooks:manage`.',
  },
  not_found: {
    statuses: [404],
    title: 'No such route',
    meaning: 'No route of this API has this path.',
    action: 'Check the path against the OpenAPI document (`/openapi.json`); every route starts with `/v1/`.',
  },
  account_not_found: {
    statuses: [404],
    title: 'No such account',
    meaning: 'The account does not exist, or the user did not share it with your app in this grant (the two look the same, so account ids cannot be probed).',
    action: 'Use an account id from `GET /v1/accounts` with this token; to reach another account, ask the user to consent to it.',
  },
  transfer_not_found: {
    statuses: [404],
    title: 'No such transfer',
    meaning: 'No transfer with this id was made by your client from an account consented in this token.',
    action: 'Use the `id` that `POST /v1/transfers` returned, with a token of the same grant.',
  },
  payment_consent_not_found: {
    statuses: [404],
    title: 'No such payment consent',
    meaning: 'The access token carries no payment consent with this id.',
    action: 'Use the `consent_id` of the token\'s `authorization_details`, with that token.',
  },
  payment_not_found: {
    statuses: [404],
    title: 'No such payment',
    meaning: 'No payment with this id was made on a consent this token carries.',
    action: 'Use the `id` that `POST /v1/payments` returned, with a token carrying its consent.',
  },
  webhook_endpoint_not_found: {
    statuses: [404],
    title: 'No such webhook endpoint',
    meaning: 'None of your client\'s webhook endpoints has this id (another client\'s look the same as absent ones).',
    action: 'List your endpoints with `GET /v1/webhook-endpoints`.',
  },
  event_not_found: {
    statuses: [404],
    title: 'No such event',
    meaning: 'None of your client\'s events of the last 30 days has this id.',
    action: 'List your events with `GET /v1/events`; events older than 30 days are gone.',
  },
  method_not_allowed: {
    statuses: [405],
    title: 'Method not allowed',
    meaning: 'The route exists but not with this method; the `Allow` header lists the methods it has.',
    action: 'Use one of the methods in `Allow`.',
  },
  idempotency_key_in_flight: {
    statuses: [409],
    title: 'A request with this idempotency key is still running',
    meaning: 'An earlier request with the same `Idempotency-Key` has not finished yet. This one did nothing.',
    action: 'Wait a moment and retry with the same key and body: you then get the first request\'s answer.',
  },
  content_too_large: {
    statuses: [413],
    title: 'The body is too large',
    meaning: 'Request bodies are limited to 64 KiB.',
    action: 'Send a smaller body; no request of this API needs more.',
  },
  unsupported_media_type: {
    statuses: [415],
    title: 'Send JSON',
    meaning: 'Request bodies must be `application/json` in UTF-8, without a `Content-Encoding` the API cannot read.',
    action: 'Send `Content-Type: application/json` and a UTF-8 JSON body.',
  },
  insufficient_funds: {
    statuses: [422],
    title: 'Not enough money',
    meaning: 'The paying account\'s balance is lower than the amount. Nothing was booked.',
    action: 'Tell the user; retry only with a smaller amount or after money arrives (with a new `Idempotency-Key`: a refusal is replayed for the same key).',
  },
  currency_mismatch: {
    statuses: [422],
    title: 'The currencies differ',
    meaning: 'Both accounts of a transfer, and its `currency`, must be in one currency.',
    action: 'Send the amount in the accounts\' currency, between accounts of the same currency.',
  },
  same_account: {
    statuses: [422],
    title: 'Source and destination are the same account',
    meaning: 'A transfer moves money between two different accounts.',
    action: 'Choose another destination account.',
  },
  balance_out_of_range: {
    statuses: [422],
    title: 'The balance would be out of range',
    meaning: 'The booking would take a balance beyond what the ledger can hold.',
    action: 'Send a smaller amount.',
  },
  idempotency_key_reused: {
    statuses: [422],
    title: 'The idempotency key was used for another request',
    meaning: 'Your client used this `Idempotency-Key` in the last 24 hours with a different body. Nothing was done.',
    action: 'Use a new key (a UUID) for each new transfer or payment; reuse a key only to retry the same request.',
  },
  consent_consumed: {
    statuses: [422],
    title: 'The payment was already made',
    meaning: 'A single-payment consent (`payment_initiation`) pays once; it has been used.',
    action: 'Ask the user to authorise a new payment.',
  },
  consent_limit_exceeded: {
    statuses: [422],
    title: 'Over the mandate\'s limits',
    meaning: 'The amount is above the mandate\'s `maximum_individual_amount`, or would take this day\'s, week\'s or month\'s payments (UTC) above a periodic limit.',
    action: 'Read what was spent with `GET /v1/payment-consents/{consent_id}`; pay a smaller amount, or in the next period.',
  },
  consent_expired: {
    statuses: [422],
    title: 'The mandate has expired',
    meaning: 'The mandate\'s `valid_until` has passed.',
    action: 'Ask the user to authorise a new mandate.',
  },
  webhook_url_not_allowed: {
    statuses: [422],
    title: 'This webhook URL is not allowed',
    meaning: 'Webhook endpoints must be `https` URLs on public addresses; the URL is not https, resolves to a loopback, private, link-local or otherwise non-public address, or does not resolve.',
    action: 'Use a public https URL that reaches your receiver.',
  },
  webhook_endpoint_limit_reached: {
    statuses: [422],
    title: 'Too many webhook endpoints',
    meaning: 'A client has at most 10 webhook endpoints.',
    action: 'Delete an endpoint you no longer use, or subscribe an existing one to more event types.',
  },
  rate_limited: {
    statuses: [429],
    title: 'Too many requests',
    meaning: 'Your client sent more requests than its quota for the current minute (the `RateLimit-Policy` field of every answer gives the quota, `RateLimit` what is left and when the window ends), or this address sent too many without a valid access token, or this user or key more requests of one kind than its share (DPoP proofs in a minute, test events). Nothing was done.',
    action: 'Wait the `Retry-After` seconds before trying again, and spread your requests: slow down when `RateLimit` shows `r` near 0.',
  },
  request_header_fields_too_large: {
    statuses: [431],
    title: 'The request headers are too large',
    meaning: 'The request\'s headers together exceed 16 KiB, so the request was not read.',
    action: 'Send fewer or shorter headers (an access token is about 1 KB).',
  },
  internal_error: {
    statuses: [500],
    title: 'Something went wrong on our side',
    meaning: 'The API failed while answering. Nothing about the cause is in the answer; the logs have it under the answer\'s `x-fapi-interaction-id`.',
    action: `Retry later. ${RETRY} If it persists, contact support with the \`x-fapi-interaction-id\`.`,
  },
  ledger_busy: {
    statuses: [503],
    title: 'The ledger is busy',
    meaning: 'Too many bookings on the same accounts at once; nothing was written.',
    action: RETRY,
  },
  database_unavailable: {
    statuses: [503],
    title: 'The database is unavailable',
    meaning: 'The database did not answer in time, or is restarting. Nothing was written.',
    action: RETRY,
  },
  authorization_server_unavailable: {
    statuses: [503],
    title: 'Access tokens cannot be checked now',
    meaning: 'The API could not fetch the authorization server\'s signing keys to check the access token.',
    action: RETRY,
  },
  temporarily_unavailable: {
    statuses: [503],
    title: 'Temporarily unavailable',
    meaning: 'The API is holding as many DPoP proofs as it can remember at once, or cannot reach the store where it remembers them (so it cannot tell a replayed proof from a fresh one). Nothing was done.',
    action: RETRY,
  },
};

/** Every code, in the catalogue's order. */
export const PROBLEM_CODES = Object.keys(PROBLEM_CATALOGUE) as ProblemCode[];

/** Whether `value` is a code of the catalogue (own key, not an inherited member such as `constructor`). */
export function isProblemCode(value: string): value is ProblemCode {
  return Object.hasOwn(PROBLEM_CATALOGUE, value);
}
