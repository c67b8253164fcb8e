/** The authorization server: `createAuthServer(config, db)` and what the CLI and demo mode need. */
export { createAuthServer } from './server.ts';
export type { AuthServer } from './server.ts';
export { loadAuthServerConfig } from './config.ts';
export type { AuthServerConfig } from './config.ts';
export { migrateAuth, rollbackAuth } from './migrations.ts';
export { ClientInputError, PUBLIC_RESOURCE_SERVER_REFUSED, createClient } from './clients/create-client.ts';
export type { CreatedClient, NewClient } from './clients/create-client.ts';
export { createSigningKey } from './keys/signing-keys.ts';
export { deriveSealingKey } from './keys/seal.ts';
export { createUser, findUserByUsername, getUserBySub, UserError } from './users/index.ts';
export type { CreateUserOptions } from './users/index.ts';
export { createInitialAccessToken } from './clients/initial-access-token.ts';
