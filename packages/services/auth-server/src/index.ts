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
export { redirectUriProblem } from './clients/redirect-uri-policy.ts';
export type { CreatedClient, NewClient } from './clients/create-client.ts';
// Client secrets (sk_sandbox_/sk_live_, hashed at rest, rotation) and the developer portal's apps.
export { CLIENT_SECRET_PREFIXES, generateClientSecret, isWellFormedClientSecret } from './clients/client-secret-format.ts';
export { CLIENT_SECRET_OVERLAP_SECONDS_DEFAULT, rotateClientSecret } from './clients/rotate-client-secret.ts';
export type { RotateClientSecretOptions } from './clients/rotate-client-secret.ts';
export { revokePreviousClientSecret } from './clients/revoke-previous-client-secret.ts';
export { approveClient, createPartnerApp, getPartnerApp, updatePartnerAppRedirectUris } from './clients/partner-apps.ts';
export type { NewPartnerApp, PartnerApp, PartnerAppOptions, PartnerAppStatus } from './clients/partner-apps.ts';
export { deletePartnerApp } from './clients/delete-partner-app.ts';
export { createInitialAccessToken } from './clients/initial-access-token.ts';
export { createSigningKey, loadSigningKeys } from './keys/signing-keys.ts';
export type { PrivateJwk } from './keys/signing-keys.ts';
export { deriveSigningKeySealingKey } from './keys/sealing.ts';
export { createUser, findUserByUsername, getUserBySub, UserError } from './users/index.ts';
export type { CreateUserOptions } from './users/index.ts';
export { TTL_SECONDS, baseConfiguration } from './provider.ts';
export type { BaseConfigurationOptions } from './provider.ts';
export { CLIENT_CREDENTIALS_SCOPES, OIDC_SCOPES, RESOURCE_SCOPES } from './scopes.ts';
export { authServerOpenApiDocument } from './openapi/document.ts';
// `/healthz` and `/readyz` (Koa), for the developer portal too.
export { healthRoutes } from './observability/health-routes.ts';
export type { AuthOpenApiSettings } from './openapi/document.ts';
// For the developer portal's own accounts: the same password policy, Argon2id hashing and sign-in throttle.
export { DUMMY_PASSWORD_HASH, hashPassword, passwordHashNeedsUpgrade, verifyPassword } from './users/password-hash.ts';
export { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN, checkNewPassword, isPossiblePassword } from './users/password-policy.ts';
export { createLoginThrottle, createNetworkThrottle } from './users/login-throttle.ts';
export type { LoginThrottle, LoginThrottleDecision, LoginThrottleLimit, NetworkThrottle } from './users/login-throttle.ts';
