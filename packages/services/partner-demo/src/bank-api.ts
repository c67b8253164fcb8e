/**
 * The bank's resource API over HTTP, as any partner would call it: JSON, decimal-string amounts,
 * RFC 9457 problem details on errors, an Idempotency-Key on every transfer and payment; and the
 * app's own webhook endpoints, with its client-credentials token. Each call goes through
 * openid-client (`ResourceFetch` of oauth.ts): a Bearer token, or under the bank's FAPI 2.0 profile
 * a DPoP-bound token with a fresh proof per call.
 */
import type { BankCredential, ResourceFetch } from './oauth.ts';

/** An account as the API lists it, with its balance and latest transactions. */
export interface AccountView {
  id: string;
  name: string;
  currency: string;
  type: string;
  balance: { amount: string; currency: string; as_of: string } | undefined;
  transactions: Array<Record<string, unknown>>;
}

/** The API answered something other than success. `status` 401 means the token is no longer good. */
export class BankApiError extends Error {
  readonly status: number;
  readonly problem: Record<string, unknown>;
  constructor(status: number, problem: Record<string, unknown>) {
    super(`bank API answered ${status}: ${String(problem.code ?? problem.title ?? '')}`);
    this.name = 'BankApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** Latest transactions shown per account. */
const TRANSACTIONS_SHOWN = 5;

export interface TransferInput {
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
  description?: string;
}

/** A webhook endpoint as the bank lists it (fields this app reads). */
export interface WebhookEndpointView {
  id: string;
  url: string;
  event_types: string[];
  status: string;
}

export interface BankApi {
  /** Every consented account with its balance and latest transactions. @throws {BankApiError} */
  loadAccounts(credential: BankCredential): Promise<AccountView[]>;
  /** `POST /v1/transfers`: the created transfer. @throws {BankApiError} with the problem details */
  createTransfer(credential: BankCredential, input: TransferInput, idempotencyKey: string): Promise<Record<string, unknown>>;
  /**
   * `POST /v1/payments` with the token of a payment consent: the `Payment` (`id`, `status`, `amount`…).
   * @throws {BankApiError} with the problem details (`consent_consumed`, `insufficient_funds`…)
   */
  createPayment(credential: BankCredential, input: { consent_id: string }, idempotencyKey: string): Promise<Record<string, unknown>>;
  /** `GET /v1/webhook-endpoints` (client-credentials token with webhooks:manage). @throws {BankApiError} */
  listWebhookEndpoints(credential: BankCredential): Promise<WebhookEndpointView[]>;
  /** `POST /v1/webhook-endpoints`: the endpoint and its secret, shown this once. @throws {BankApiError} */
  createWebhookEndpoint(credential: BankCredential, input: { url: string; event_types: string[]; description: string }): Promise<{ id: string; secret: string }>;
  /** `PATCH /v1/webhook-endpoints/{id}`. @throws {BankApiError} */
  updateWebhookEndpoint(credential: BankCredential, id: string, changes: { event_types?: string[]; status?: 'enabled' }): Promise<void>;
  /** `POST /v1/webhook-endpoints/{id}/secret/rotate`: the new secret (the old one keeps signing for 24 h). @throws {BankApiError} */
  rotateWebhookSecret(credential: BankCredential, id: string): Promise<string>;
  /** `DELETE /v1/webhook-endpoints/{id}`. @throws {BankApiError} */
  deleteWebhookEndpoint(credential: BankCredential, id: string): Promise<void>;
}

/**
 * The bank's API at `baseUrl`, each call made by `fetchResource` (oauth.ts: openid-client with the
 * credential's scheme, aborted after 10 s).
 */
export function createBankApi(baseUrl: string, fetchResource: ResourceFetch): BankApi {
  async function call(credential: BankCredential, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const response = await fetchResource(credential, new URL(`${baseUrl}${path}`), method, body === undefined ? undefined : JSON.stringify(body), {
      accept: 'application/json, application/problem+json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const object = typeof json === 'object' && json !== null ? json as Record<string, unknown> : {};
    if (!response.ok) {
      throw new BankApiError(response.status, Object.keys(object).length > 0 ? object : { status: response.status, title: response.statusText });
    }
    return object;
  }

  return {
    async loadAccounts(credential) {
      const list = await call(credential, 'GET', '/v1/accounts');
      const accounts = Array.isArray(list.data) ? list.data as Array<Record<string, unknown>> : [];
      return Promise.all(accounts.map(async (account): Promise<AccountView> => {
        const id = encodeURIComponent(String(account.id));
        const [balance, history] = await Promise.all([
          call(credential, 'GET', `/v1/accounts/${id}/balance`),
          call(credential, 'GET', `/v1/accounts/${id}/transactions?limit=${TRANSACTIONS_SHOWN}`).catch((error: unknown) => {
            // Without transactions:read the history is simply not shown.
            if (error instanceof BankApiError && error.status === 403) return { data: [] };
            throw error;
          }),
        ]);
        return {
          id: String(account.id),
          name: String(account.name),
          currency: String(account.currency),
          type: String(account.type),
          balance: { amount: String(balance.amount), currency: String(balance.currency), as_of: String(balance.as_of) },
          transactions: Array.isArray(history.data) ? history.data as Array<Record<string, unknown>> : [],
        };
      }));
    },
    async createTransfer(credential, input, idempotencyKey) {
      return call(credential, 'POST', '/v1/transfers', input, { 'idempotency-key': idempotencyKey });
    },
    async createPayment(credential, input, idempotencyKey) {
      return call(credential, 'POST', '/v1/payments', input, { 'idempotency-key': idempotencyKey });
    },
    async listWebhookEndpoints(credential) {
      const list = await call(credential, 'GET', '/v1/webhook-endpoints');
      return Array.isArray(list.data) ? list.data as WebhookEndpointView[] : [];
    },
    async createWebhookEndpoint(credential, input) {
      const created = await call(credential, 'POST', '/v1/webhook-endpoints', input);
      return { id: String(created.id), secret: String(created.secret) };
    },
    async updateWebhookEndpoint(credential, id, changes) {
      await call(credential, 'PATCH', `/v1/webhook-endpoints/${encodeURIComponent(id)}`, changes);
    },
    async rotateWebhookSecret(credential, id) {
      return String((await call(credential, 'POST', `/v1/webhook-endpoints/${encodeURIComponent(id)}/secret/rotate`)).secret);
    },
    async deleteWebhookEndpoint(credential, id) {
      await call(credential, 'DELETE', `/v1/webhook-endpoints/${encodeURIComponent(id)}`);
    },
  };
}
