export { freePort, startServiceProcess } from './service-process.ts';
export type { ServiceName, ServiceProcess } from './service-process.ts';
export { UNREFUSED_RATE_LIMIT_PER_MINUTE, startProductionSystem } from './production-system.ts';
export type { ProductionSystem, ProductionSystemOptions } from './production-system.ts';
export { ALL_SCOPES, REDIRECT_URI, UserAgent, mintTokens, seedPartner } from './partner.ts';
export type { MintedTokens, SeedPartnerOptions, SeededPartner, SeededUser } from './partner.ts';
export { appendTransferEvent, registerWebhookEndpoint, startWebhookReceiver } from './webhooks.ts';
export type { ReceivedWebhook, ReceiverAnswer, ReceiverOptions, WebhookReceiver } from './webhooks.ts';
