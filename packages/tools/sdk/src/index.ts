/**
 * `@payapi/sdk`: the partner SDK of the payment open API (docs/sdk.md). Typed calls to the resource
 * API (types generated from its OpenAPI document, calls through openapi-fetch), an Idempotency-Key
 * per money-moving call kept on its retries, retries with backoff and jitter where safe, errors as
 * {@link PayApiProblem}, `for await` pagination, DPoP-bound tokens through openid-client, and
 * {@link verifyWebhook}. It does no OAuth: hand it an access-token provider (openid-client gets and
 * refreshes the tokens). It imports nothing of the bank's code.
 */
export { createPayApi } from './client.ts';
export type { EventListOptions, IdempotentCallOptions, PayApi, PayApiOptions, TransactionListOptions } from './client.ts';
export { PayApiConnectionError, PayApiProblem } from './problem.ts';
export { DEFAULT_RETRY_POLICY } from './retry.ts';
export type { RetryNotice, RetryOptions, RetryPolicy, RetryReason } from './retry.ts';
export type { AccessTokenProvider, DPoPBinding } from './transport.ts';
export type { Page, PageOptions } from './pagination.ts';
export { WebhookVerificationError, verifyWebhook } from './webhooks.ts';
export type { WebhookHeaders } from './webhooks.ts';
export type * from './types.ts';
