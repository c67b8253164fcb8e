/**
 * Events and webhooks (docs/webhooks.md): the append function other packages call inside their own
 * transaction, the partner-facing event log, webhook endpoints and their deliveries. Schema `events`.
 */
export { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateEndpointSecret, updateEndpoint,
  ENDPOINTS_PER_CLIENT_MAX, SECRET_OVERLAP_SECONDS_DEFAULT } from './endpoints.ts';
export type { WireEndpoint } from './endpoints.ts';
export { TEST_EVENTS_PER_MINUTE_MAX, listDeliveries, redeliverEvent, sendTestEvent } from './deliveries.ts';
export type { WireDelivery } from './deliveries.ts';
export { EventsError } from './errors.ts';
export type { EventsErrorCode } from './errors.ts';
export { EVENT_TYPES, GRANT_REVOCATION_REASONS, isEventType } from './event-types.ts';
export type { EventType, GrantRevocationReason } from './event-types.ts';
export { PARTNER_WINDOW_DAYS, appendEvent, getClientEvent, listAuditEvents, listClientEvents, purgeExpiredEvents, purgeOrphanDeliveries, toWireEvent } from './event-log.ts';
export type { NewEvent, Page, StoredEvent, WireEvent } from './event-log.ts';
export { migrateEvents, rollbackEvents } from './migrations.ts';
export { createSecretBox, newEndpointSecret } from './secrets.ts';
export type { SecretBox } from './secrets.ts';
export { ENDPOINT_URL_LENGTH_MAX, isPublicAddress, resolveEndpointUrl } from './url-policy.ts';
export type { UrlPolicy } from './url-policy.ts';
export { DEMO_WEBHOOK_SECRETS_KEY, WEBHOOK_SECRETS_KEY_LENGTH_MIN, readWebhookSecretsKey, readWebhooksAllowPrivateNetworks } from './webhook-config.ts';
export { WEBHOOK_WORKER_APPLICATION_NAME, loadWebhookWorkerConfig } from './worker/config.ts';
export type { WebhookWorkerConfig } from './worker/config.ts';
export { startDeliveryWorker } from './worker/delivery-worker.ts';
export type { DeliveryWorker, DeliveryWorkerOptions } from './worker/delivery-worker.ts';
export { DELIVERY_LIMITS_DEFAULT, RETRY_SCHEDULE_SECONDS_DEFAULT } from './worker/settings.ts';
export type { DeliverySettings } from './worker/settings.ts';
