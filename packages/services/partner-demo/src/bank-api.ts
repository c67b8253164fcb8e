/**
 * The bank's resource API over plain HTTP, as any partner would call it: Bearer token, JSON,
 * decimal-string amounts, RFC 9457 problem details on errors, an Idempotency-Key on every transfer;
 * and the app's own webhook endpoints, with its client-credentials token.
 */

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
/** Abort a call to the bank after this long. */
const REQUEST_TIMEOUT_MS = 10_000;

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
  loadAccounts(accessToken: string): Promise<AccountView[]>;
  /** `POST /v1/transfers`: the created transfer. @throws {BankApiError} with the problem details */
  createTransfer(accessToken: string, input: TransferInput, idempotencyKey: string): Promise<Record<string, unknown>>;
  /** `GET /v1/webhook-endpoints` (client-credentials token with webhooks:manage). @throws {BankApiError} */
  listWebhookEndpoints(clientToken: string): Promise<WebhookEndpointView[]>;
  /** `POST /v1/webhook-endpoints`: the endpoint and its secret, shown this once. @throws {BankApiError} */
  createWebhookEndpoint(clientToken: string, input: { url: string; event_types: string[]; description: string }): Promise<{ id: string; secret: string }>;
  /** `PATCH /v1/webhook-endpoints/{id}`. @throws {BankApiError} */
  updateWebhookEndpoint(clientToken: string, id: string, changes: { event_types?: string[]; status?: 'enabled' }): Promise<void>;
  /** `POST /v1/webhook-endpoints/{id}/secret/rotate`: the new secret (the old one keeps signing for 24 h). @throws {BankApiError} */
  rotateWebhookSecret(clientToken: string, id: string): Promise<string>;
  /** `DELETE /v1/webhook-endpoints/{id}`. @throws {BankApiError} */
  deleteWebhookEndpoint(clientToken: string, id: string): Promise<void>;
}

export function createBankApi(baseUrl: string): BankApi {
  async function call(accessToken: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/json, application/problem+json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
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
    async loadAccounts(accessToken) {
      const list = await call(accessToken, 'GET', '/v1/accounts');
      const accounts = Array.isArray(list.data) ? list.data as Array<Record<string, unknown>> : [];
      return Promise.all(accounts.map(async (account): Promise<AccountView> => {
        const id = encodeURIComponent(String(account.id));
        const [balance, history] = await Promise.all([
          call(accessToken, 'GET', `/v1/accounts/${id}/balance`),
          call(accessToken, 'GET', `/v1/accounts/${id}/transactions?limit=${TRANSACTIONS_SHOWN}`).catch((error: unknown) => {
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
    async createTransfer(accessToken, input, idempotencyKey) {
      return call(accessToken, 'POST', '/v1/transfers', input, { 'idempotency-key': idempotencyKey });
    },
    async listWebhookEndpoints(clientToken) {
      const list = await call(clientToken, 'GET', '/v1/webhook-endpoints');
      return Array.isArray(list.data) ? list.data as WebhookEndpointView[] : [];
    },
    async createWebhookEndpoint(clientToken, input) {
      const created = await call(clientToken, 'POST', '/v1/webhook-endpoints', input);
      return { id: String(created.id), secret: String(created.secret) };
    },
    async updateWebhookEndpoint(clientToken, id, changes) {
      await call(clientToken, 'PATCH', `/v1/webhook-endpoints/${encodeURIComponent(id)}`, changes);
    },
    async rotateWebhookSecret(clientToken, id) {
      return String((await call(clientToken, 'POST', `/v1/webhook-endpoints/${encodeURIComponent(id)}/secret/rotate`)).secret);
    },
    async deleteWebhookEndpoint(clientToken, id) {
      await call(clientToken, 'DELETE', `/v1/webhook-endpoints/${encodeURIComponent(id)}`);
    },
  };
}
