/** The oidc-provider adapter on PostgreSQL (schema `auth`, table `oidc_store`) and its maintenance. */
export { CLIENT_CHANGED_CHANNEL, startClientCache } from './client-cache.ts';
export type { ClientCache, ClientCacheOptions } from './client-cache.ts';
export { INITIAL_ACCESS_TOKEN_UNKNOWN, INITIAL_ACCESS_TOKEN_USED, releaseInitialAccessToken } from './initial-access-token-claim.ts';
export { createKnexAdapter } from './knex-adapter.ts';
export type { KnexAdapterOptions } from './knex-adapter.ts';
export { GRANTABLE_MODELS, OIDC_MODEL_NAMES } from './models.ts';
export type { OidcModelName } from './models.ts';
export { purgeExpired, PURGE_BATCH_SIZE_MAX } from './purge-expired.ts';
export { REPLAY_CLAIM_TTL_SECONDS } from './replay-claim.ts';
