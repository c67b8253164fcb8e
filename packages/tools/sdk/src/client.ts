/**
 * `createPayApi(options)`: the resource API (`/v1`) for a partner, on the generated types and
 * openapi-fetch. What it adds is only what a partner would otherwise write by hand: the access
 * token on every call (Bearer, or DPoP through openid-client), an `Idempotency-Key` per transfer
 * and payment that stays the same on its retries, retries with backoff and jitter where a repeat
 * is safe (retry.ts), errors thrown as {@link PayApiProblem}, and `for await` over paginated lists.
 */
import createClient from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import { paginate } from './pagination.ts';
import type { PageOptions } from './pagination.ts';
import { PayApiProblem } from './problem.ts';
import { retryPolicy } from './retry.ts';
import type { RetryNotice, RetryOptions } from './retry.ts';
import { createTransport } from './transport.ts';
import type { AccessTokenProvider, DPoPBinding } from './transport.ts';
import type {
  Account, Balance, Delivery, EventType, PayApiEvent, Payment, PaymentConsent, PaymentRequest, Transaction, Transfer, TransferRequest,
  WebhookEndpoint, WebhookEndpointCreated, WebhookEndpointRequest, WebhookEndpointUpdate, paths,
} from './types.ts';

/** Options of {@link createPayApi}. */
export interface PayApiOptions {
  /** The resource API's base URL, e.g. `http://localhost:4001` (no `/v1`). */
  baseUrl: string;
  /** Gives the current access token; called before every attempt. */
  accessToken: AccessTokenProvider;
  /** For a DPoP-bound token (RFC 9449; required by a bank running the FAPI 2.0 profile). */
  dpop?: DPoPBinding;
  /** Retries (retry.ts): defaults 4 attempts, 250 ms backoff base, 5 s cap, `Retry-After` up to 30 s. `{ maxAttempts: 1 }` turns them off. */
  retry?: RetryOptions;
  /** Called before each retry's wait (to log it). */
  onRetry?: (notice: RetryNotice) => void;
  /** One attempt's time limit, ms (default 10,000). With `dpop`, the openid-client configuration's `timeout` applies instead. */
  timeoutMs?: number;
  /** The fetch to send requests with (default `globalThis.fetch`); not used with `dpop` (openid-client's `customFetch` is). */
  fetch?: (request: Request) => Promise<Response>;
}

/** Options of a call that moves money. */
export interface IdempotentCallOptions {
  /**
   * The call's `Idempotency-Key` (1 to 255 visible ASCII characters). Default: a new UUID per call.
   * Give your own (e.g. made when the payment form was shown) to make repeats of the same intent, a
   * double submit or a retry after a crash of yours, replay the first answer instead of paying twice.
   */
  idempotencyKey?: string;
}

/** The account's history: page options plus the API's time window. */
export interface TransactionListOptions extends PageOptions {
  /** RFC 3339 with offset; rows booked at or after it. */
  from?: string;
  /** RFC 3339 with offset; rows booked before it. */
  to?: string;
}

/** The client's event log: page options plus a type filter. */
export interface EventListOptions extends PageOptions {
  type?: EventType;
}

/** The resource API. Every method throws {@link PayApiProblem} when the API refuses, PayApiConnectionError when it never answers. */
export interface PayApi {
  accounts: {
    /** `GET /v1/accounts` (scope `accounts:read`): the accounts the user consented to share. */
    list(): Promise<Account[]>;
    /** `GET /v1/accounts/{id}`; 404 `account_not_found` for an account not in the consent. */
    get(accountId: string): Promise<Account>;
    /** `GET /v1/accounts/{id}/balance`: `{ account_id, amount, currency, as_of }`, `amount` a decimal string. */
    balance(accountId: string): Promise<Balance>;
    /**
     * `GET /v1/accounts/{id}/transactions` (scope `transactions:read`), newest first, every page:
     * `for await (const transaction of payApi.accounts.transactions(id)) …`.
     */
    transactions(accountId: string, options?: TransactionListOptions): AsyncGenerator<Transaction, void, undefined>;
  };
  transfers: {
    /**
     * `POST /v1/transfers` (scope `transfers:write`): the transfer, `status: "completed"`. Refusals
     * are 422 (`insufficient_funds`, `currency_mismatch`, `same_account`…), 404 `account_not_found`.
     */
    create(transfer: TransferRequest, options?: IdempotentCallOptions): Promise<Transfer>;
    /** `GET /v1/transfers/{id}`. */
    get(transferId: string): Promise<Transfer>;
  };
  payments: {
    /**
     * `POST /v1/payments` (scope `payments:write`, a token of a payment consent): pays the consent
     * `consent_id` of the token's `authorization_details`; `amount` only for a mandate. Refusals are
     * 422 `consent_consumed`, `consent_limit_exceeded`, `consent_expired`, `insufficient_funds`….
     */
    create(payment: PaymentRequest, options?: IdempotentCallOptions): Promise<Payment>;
    /** `GET /v1/payments/{id}`. */
    get(paymentId: string): Promise<Payment>;
  };
  paymentConsents: {
    /** `GET /v1/payment-consents/{id}`: status, terms and what was spent per period. */
    get(consentId: string): Promise<PaymentConsent>;
  };
  /** The client's own webhook endpoints (a client-credentials token with `webhooks:manage`; docs/webhooks.md). */
  webhookEndpoints: {
    list(): Promise<WebhookEndpoint[]>;
    /** The endpoint and its signing `secret` (`whsec_…`), shown this once. 422 `webhook_url_not_allowed`, `webhook_endpoint_limit_reached`. */
    create(endpoint: WebhookEndpointRequest): Promise<WebhookEndpointCreated>;
    get(endpointId: string): Promise<WebhookEndpoint>;
    update(endpointId: string, changes: WebhookEndpointUpdate): Promise<WebhookEndpoint>;
    delete(endpointId: string): Promise<void>;
    /** A new signing secret; the old one keeps signing beside it for 24 h. */
    rotateSecret(endpointId: string): Promise<string>;
    /** Queues a `webhook.test` event for this endpoint alone: its id. */
    sendTestEvent(endpointId: string): Promise<string>;
    /** The endpoint's delivery attempts, newest first, every page. */
    deliveries(endpointId: string, options?: PageOptions): AsyncGenerator<Delivery, void, undefined>;
  };
  /** The client's event log, the last 30 days (a client-credentials token with `webhooks:manage`). */
  events: {
    /** Newest first, every page: `for await (const event of payApi.events.list({ type: 'transfer.completed' })) …`. */
    list(options?: EventListOptions): AsyncGenerator<PayApiEvent, void, undefined>;
    get(eventId: string): Promise<PayApiEvent>;
    /** Queues the event again for your endpoints subscribed to its type. */
    redeliver(eventId: string): Promise<void>;
  };
  /** The typed openapi-fetch client underneath (same token, retries), for anything above does not cover: answers `{ data, error, response }`. */
  raw: Client<paths>;
}

interface Outcome<Data> {
  data?: Data;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; a {@link PayApiProblem} for any other. */
async function unwrap<Data>(call: Promise<Outcome<Data>>): Promise<Data> {
  const { data, error, response } = await call;
  if (response.ok) return data as Data;
  const problem = typeof error === 'object' && error !== null && !Array.isArray(error)
    ? error as Record<string, unknown> : { status: response.status, title: response.statusText };
  throw new PayApiProblem(response.status, problem, response.headers);
}

/**
 * A client of the resource API at `options.baseUrl`, with the partner's access tokens.
 *
 * @throws {RangeError} for retry options out of range
 * @example
 *   const payApi = createPayApi({ baseUrl: 'http://localhost:4001', accessToken: () => tokens.access_token });
 *   const transfer = await payApi.transfers.create({ source_account_id, destination_account_id, amount: '12.34', currency: 'CNY' });
 */
export function createPayApi(options: PayApiOptions): PayApi {
  const raw = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { accept: 'application/json, application/problem+json' },
    fetch: createTransport({
      accessToken: options.accessToken,
      dpop: options.dpop,
      fetch: options.fetch ?? ((request) => fetch(request)),
      timeoutMs: options.timeoutMs ?? 10_000,
      retry: retryPolicy(options.retry),
      onRetry: options.onRetry,
    }),
  });
  const key = (callOptions: IdempotentCallOptions | undefined): string => callOptions?.idempotencyKey ?? crypto.randomUUID();

  return {
    accounts: {
      list: async () => (await unwrap(raw.GET('/v1/accounts'))).data,
      get: (accountId) => unwrap(raw.GET('/v1/accounts/{account_id}', { params: { path: { account_id: accountId } } })),
      balance: (accountId) => unwrap(raw.GET('/v1/accounts/{account_id}/balance', { params: { path: { account_id: accountId } } })),
      transactions: (accountId, { pageSize, cursor, from, to } = {}) => paginate((after) => unwrap(raw.GET('/v1/accounts/{account_id}/transactions', {
        params: { path: { account_id: accountId }, query: { limit: pageSize, cursor: after, from, to } },
      })), cursor),
    },
    transfers: {
      create: (transfer, callOptions) => unwrap(raw.POST('/v1/transfers', { params: { header: { 'Idempotency-Key': key(callOptions) } }, body: transfer })),
      get: (transferId) => unwrap(raw.GET('/v1/transfers/{transfer_id}', { params: { path: { transfer_id: transferId } } })),
    },
    payments: {
      create: (payment, callOptions) => unwrap(raw.POST('/v1/payments', { params: { header: { 'Idempotency-Key': key(callOptions) } }, body: payment })),
      get: (paymentId) => unwrap(raw.GET('/v1/payments/{payment_id}', { params: { path: { payment_id: paymentId } } })),
    },
    paymentConsents: {
      get: (consentId) => unwrap(raw.GET('/v1/payment-consents/{consent_id}', { params: { path: { consent_id: consentId } } })),
    },
    webhookEndpoints: {
      list: async () => (await unwrap(raw.GET('/v1/webhook-endpoints'))).data,
      create: (endpoint) => unwrap(raw.POST('/v1/webhook-endpoints', { body: endpoint })),
      get: (endpointId) => unwrap(raw.GET('/v1/webhook-endpoints/{endpoint_id}', { params: { path: { endpoint_id: endpointId } } })),
      update: (endpointId, changes) => unwrap(raw.PATCH('/v1/webhook-endpoints/{endpoint_id}', { params: { path: { endpoint_id: endpointId } }, body: changes })),
      delete: async (endpointId) => {
        await unwrap(raw.DELETE('/v1/webhook-endpoints/{endpoint_id}', { params: { path: { endpoint_id: endpointId } } }));
      },
      rotateSecret: async (endpointId) => (await unwrap(raw.POST('/v1/webhook-endpoints/{endpoint_id}/secret/rotate', {
        params: { path: { endpoint_id: endpointId } },
      }))).secret,
      sendTestEvent: async (endpointId) => (await unwrap(raw.POST('/v1/webhook-endpoints/{endpoint_id}/test', {
        params: { path: { endpoint_id: endpointId } },
      }))).event_id,
      deliveries: (endpointId, { pageSize, cursor } = {}) => paginate((after) => unwrap(raw.GET('/v1/webhook-endpoints/{endpoint_id}/deliveries', {
        params: { path: { endpoint_id: endpointId }, query: { limit: pageSize, cursor: after } },
      })), cursor),
    },
    events: {
      list: ({ type, pageSize, cursor } = {}) => paginate(async (after) => {
        const page = await unwrap(raw.GET('/v1/events', { params: { query: { type, limit: pageSize, cursor: after } } }));
        return { data: page.data as PayApiEvent[], next_cursor: page.next_cursor };
      }, cursor),
      get: async (eventId) => (await unwrap(raw.GET('/v1/events/{event_id}', { params: { path: { event_id: eventId } } }))) as PayApiEvent,
      redeliver: async (eventId) => {
        await unwrap(raw.POST('/v1/events/{event_id}/redeliver', { params: { path: { event_id: eventId } } }));
      },
    },
    raw,
  };
}
