/**
 * Reference server of the token scenarios, run as its own process (`node bare-provider.ts`): a
 * bare oidc-provider (the version the authorization server uses) with its default in-memory
 * adapter and our provider's configuration as far as it does not need our database, taken from the
 * same function (`baseConfiguration` in `packages/auth-server/src/provider.ts`): same TTLs, scopes,
 * PKCE, client defaults, algorithms, client credentials, introspection and revocation policies,
 * RFC 8707 resource indicator with ES256 JWT access tokens for the same audience, refresh-token
 * rotation. Left out: the knex
 * adapter, `extraTokenClaims` (records each access token and reads the consented accounts, both in
 * the database), `findAccount` (users table), our Koa middleware (helmet, Host check, JWT
 * introspection), the interaction pages.
 *
 * Environment: `BARE_RESOURCE` (the resource indicator), `BARE_CLIENTS` (JSON array of client
 * metadata, registered statically), `BARE_RESOURCE_SERVER_ID` (the client that may introspect
 * every token, as `auth.resource_servers` does for ours), `BARE_REFRESH_CLIENT_ID` (the client a
 * refresh token is made for at start). Prints `{"url","refreshToken"}` once it listens on a free
 * port; stops on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { ClientMetadata, Configuration } from 'oidc-provider';
import { OIDC_SCOPES, RESOURCE_SCOPES, TTL_SECONDS, baseConfiguration } from '@payapi/auth-server';
import type { PrivateJwk } from '@payapi/auth-server';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const resource = required('BARE_RESOURCE');
const clients = JSON.parse(required('BARE_CLIENTS')) as ClientMetadata[];
const resourceServerId = required('BARE_RESOURCE_SERVER_ID');
const refreshClientId = required('BARE_REFRESH_CLIENT_ID');
const ACCESS_TOKEN_TTL_SECONDS = 300;

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, resolve));
const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey: PrivateJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: randomBytes(8).toString('hex') };

// Exactly the settings of our provider that need no database (auth-server `baseConfiguration`), on
// oidc-provider's default memory adapter, with the bench's clients registered statically.
const configuration: Configuration = {
  ...baseConfiguration({
    resource,
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    keys: [signingKey],
    cookieKeys: [randomBytes(32).toString('base64url')],
    isResourceServer: async (clientId) => clientId === resourceServerId,
  }),
  clients,
};

const provider = new Provider(issuer, configuration);
server.on('request', provider.callback());

// A refresh token as the code exchange would leave it: a grant with every scope for one user.
const client = await provider.Client.find(refreshClientId);
if (!client) throw new Error(`BARE_REFRESH_CLIENT_ID ${refreshClientId} is not among BARE_CLIENTS`);
const accountId = 'bench-user';
const grant = new provider.Grant({ accountId, clientId: client.clientId });
grant.addOIDCScope([...OIDC_SCOPES].join(' '));
grant.addResourceScope(resource, RESOURCE_SCOPES.join(' '));
const grantId = await grant.save();
const refreshToken = await new provider.RefreshToken({
  client, accountId, grantId, gty: 'authorization_code', scope: [...OIDC_SCOPES].join(' '),
  resource, expiresIn: TTL_SECONDS.RefreshToken,
}).save();

process.stdout.write(`${JSON.stringify({ url: issuer, refreshToken })}\n`);
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
