/**
 * The API's shapes by name, from the generated types (generated/openapi.ts, the served OpenAPI
 * document). Amounts are decimal strings in major units with the currency's minor digits, never
 * numbers; times are RFC 3339 strings.
 */
import type { components, paths } from './generated/openapi.ts';

type Schemas = components['schemas'];

export type { components, paths };
export type Account = Schemas['Account'];
export type Balance = Schemas['Balance'];
export type Transaction = Schemas['Transaction'];
export type TransactionPage = Schemas['TransactionPage'];
export type TransferRequest = Schemas['TransferRequest'];
export type Transfer = Schemas['Transfer'];
export type PaymentRequest = Schemas['PaymentRequest'];
export type Payment = Schemas['Payment'];
export type PaymentConsent = Schemas['PaymentConsent'];
export type WebhookEndpointRequest = Schemas['WebhookEndpointRequest'];
export type WebhookEndpointUpdate = Schemas['WebhookEndpointUpdate'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointCreated = Schemas['WebhookEndpointCreated'];
export type Delivery = Schemas['Delivery'];
export type GrantRevoked = Schemas['GrantRevoked'];
/** An RFC 9457 problem document as the API sends it (`application/problem+json`). */
export type Problem = Schemas['Problem'];
/** Every event type (`Event.type`). */
export type EventType = Schemas['Event']['type'];

type EventOf<Type extends EventType, Data> = Omit<Schemas['Event'], 'type' | 'data'> & { type: Type; data: Data };

/**
 * An event as the API lists it and webhooks deliver it, its `data` typed by its `type`
 * (docs/webhooks.md, "Events"): a `Transfer`, a `Transaction`, a `GrantRevoked`, a
 * `PaymentConsent`, a `Payment`, or `{}` for `webhook.test`.
 */
export type PayApiEvent =
  | EventOf<'transfer.completed', Transfer>
  | EventOf<'transaction.booked', Transaction>
  | EventOf<'grant.revoked', GrantRevoked>
  | EventOf<'payment_consent.authorised' | 'payment_consent.rejected' | 'payment_consent.consumed' | 'payment_consent.revoked' | 'payment_consent.expired', PaymentConsent>
  | EventOf<'payment.completed', Payment>
  | EventOf<'webhook.test', Record<string, never>>;
