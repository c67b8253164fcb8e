/**
 * The authorization server: `createAuthServer(config, db)`, and what the CLI, demo mode and the
 * benchmark need (client, user and key management; the provider settings that need no database).
 * Test support is `@payapi/auth-server/testing`.
 */
export { createAuthServer } from './server.ts';
export type { AuthServer, AuthServerOptions } from './server.ts';
export { loadAuthServerConfig } from './config.ts';
export type { AuthServerConfig } from './config.ts';
export { migrateAuth, rollbackAuth } from './migrations.ts';
export { ClientInputError, PUBLIC_RESOURCE_SERVER_REFUSED, createClient } from './clients/create-client.ts';
export type { CreatedClient, NewClient } from './clients/create-client.ts';
export { createInitialAccessToken } from './clients/initial-access-token.ts';
export { createSigningKey, loadSigningKeys } from './keys/signing-keys.ts';
export type { PrivateJwk } from './keys/signing-keys.ts';
export { deriveSigningKeySealingKey } from './keys/sealing.ts';
export { createUser, findUserByUsername, getUserBySub, UserError } from './users/index.ts';
export type { CreateUserOptions } from './users/index.ts';
export { TTL_SECONDS, baseConfiguration } from './provider.ts';
export type { BaseConfigurationOptions } from './provider.ts';
export { OIDC_SCOPES, RESOURCE_SCOPES } from './scopes.ts';
