/**
 * The bank's resource API through its partner SDK (`@payapi/sdk`), as any partner would call it:
 * typed calls, an Idempotency-Key on every transfer and payment (kept on the SDK's retries),
 * RFC 9457 problems thrown as `PayApiProblem`; and the app's own webhook endpoints, with its
 * client-credentials token. The SDK does no OAuth: each call gets the credential's access token,
 * and under the bank's FAPI 2.0 profile the DPoP binding of oauth.ts (openid-client's DPoP
 * handle), which signs a fresh proof per request.
 */
import { createPayApi } from '@payapi/sdk';
import type { Account, Balance, DPoPBinding, PayApi, Payment, Transaction, Transfer, TransferRequest, WebhookEndpoint } from '@payapi/sdk';
import { PayApiProblem } from '@payapi/sdk';
import type { BankCredential } from './oauth.ts';

/** An account as the API lists it, with its balance and latest transactions. */
export interface AccountView extends Account {
  balance: Balance;
  transactions: Transaction[];
}

/** Latest transactions shown per account. */
const TRANSACTIONS_SHOWN = 5;

export interface BankApi {
  /** Every consented account with its balance and latest transactions. @throws {PayApiProblem} */
  loadAccounts(credential: BankCredential): Promise<AccountView[]>;
  /** `POST /v1/transfers`: the created transfer. @throws {PayApiProblem} with the problem details */
  createTransfer(credential: BankCredential, input: TransferRequest, idempotencyKey: string): Promise<Transfer>;
  /**
   * `POST /v1/payments` with the token of a payment consent: the `Payment` (`id`, `status`, `amount`…).
   * @throws {PayApiProblem} with the problem details (`consent_consumed`, `insufficient_funds`…)
   */
  createPayment(credential: BankCredential, input: { consent_id: string }, idempotencyKey: string): Promise<Payment>;
  /** `GET /v1/webhook-endpoints` (client-credentials token with webhooks:manage). @throws {PayApiProblem} */
  listWebhookEndpoints(credential: BankCredential): Promise<WebhookEndpoint[]>;
  /** `POST /v1/webhook-endpoints`: the endpoint and its secret, shown this once. @throws {PayApiProblem} */
  createWebhookEndpoint(credential: BankCredential, input: { url: string; event_types: WebhookEndpoint['event_types']; description: string }): Promise<{ id: string; secret: string }>;
  /** `PATCH /v1/webhook-endpoints/{id}`. @throws {PayApiProblem} */
  updateWebhookEndpoint(credential: BankCredential, id: string, changes: { event_types?: WebhookEndpoint['event_types']; status?: 'enabled' }): Promise<void>;
  /** `POST /v1/webhook-endpoints/{id}/secret/rotate`: the new secret (the old one keeps signing for 24 h). @throws {PayApiProblem} */
  rotateWebhookSecret(credential: BankCredential, id: string): Promise<string>;
  /** `DELETE /v1/webhook-endpoints/{id}`. @throws {PayApiProblem} */
  deleteWebhookEndpoint(credential: BankCredential, id: string): Promise<void>;
}

/**
 * The bank's API at `baseUrl`. `dpopBinding` gives openid-client's DPoP handle for a credential's
 * key pair (oauth.ts), or undefined for a Bearer token.
 */
export function createBankApi(baseUrl: string, dpopBinding: (credential: BankCredential) => Promise<DPoPBinding | undefined>): BankApi {
  const sdk = async (credential: BankCredential): Promise<PayApi> => {
    const dpop = await dpopBinding(credential);
    return createPayApi({ baseUrl, accessToken: () => credential.accessToken, ...(dpop ? { dpop } : {}) });
  };

  /** The latest transactions; without `transactions:read` (403) the history is simply not shown. */
  const latestTransactions = async (api: PayApi, accountId: string): Promise<Transaction[]> => {
    const latest: Transaction[] = [];
    try {
      for await (const transaction of api.accounts.transactions(accountId, { pageSize: TRANSACTIONS_SHOWN })) {
        latest.push(transaction);
        if (latest.length === TRANSACTIONS_SHOWN) break;
      }
    } catch (error) {
      if (error instanceof PayApiProblem && error.status === 403) return [];
      throw error;
    }
    return latest;
  };

  return {
    async loadAccounts(credential) {
      const api = await sdk(credential);
      const accounts = await api.accounts.list();
      return Promise.all(accounts.map(async (account): Promise<AccountView> => {
        const [balance, transactions] = await Promise.all([api.accounts.balance(account.id), latestTransactions(api, account.id)]);
        return { ...account, balance, transactions };
      }));
    },
    async createTransfer(credential, input, idempotencyKey) {
      return (await sdk(credential)).transfers.create(input, { idempotencyKey });
    },
    async createPayment(credential, input, idempotencyKey) {
      return (await sdk(credential)).payments.create(input, { idempotencyKey });
    },
    async listWebhookEndpoints(credential) {
      return (await sdk(credential)).webhookEndpoints.list();
    },
    async createWebhookEndpoint(credential, input) {
      const created = await (await sdk(credential)).webhookEndpoints.create(input);
      return { id: created.id, secret: created.secret };
    },
    async updateWebhookEndpoint(credential, id, changes) {
      await (await sdk(credential)).webhookEndpoints.update(id, changes);
    },
    async rotateWebhookSecret(credential, id) {
      return (await sdk(credential)).webhookEndpoints.rotateSecret(id);
    },
    async deleteWebhookEndpoint(credential, id) {
      await (await sdk(credential)).webhookEndpoints.delete(id);
    },
  };
}
