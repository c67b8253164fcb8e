/**
 * Reference server of the token scenarios, run as its own process (`node bare-provider.ts`): a
 * bare oidc-provider (the version the authorization server uses) with its default in-memory
 * adapter and our provider's configuration as far as it does not need our database (see
 * `packages/auth-server/src/provider.ts`): same TTLs, scopes, PKCE, client defaults, algorithms,
 * client credentials, introspection and revocation policies, RFC 8707 resource indicator with
 * ES256 JWT access tokens for the same audience, refresh-token rotation. Left out: the knex
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
import Provider, { errors } from 'oidc-provider';
import type { ClientMetadata, Configuration } from 'oidc-provider';
import { TTL_SECONDS } from '../../../auth-server/src/provider.ts';
import { OIDC_SCOPES, RESOURCE_SCOPES } from '../../../auth-server/src/scopes.ts';

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
const signingKey = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: randomBytes(8).toString('hex') };

const configuration: Configuration = {
  clients,
  jwks: { keys: [signingKey] },
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    long: { signed: true, httpOnly: true, sameSite: 'lax' },
    short: { signed: true, httpOnly: true, sameSite: 'lax' },
  },
  claims: { openid: ['sub'], profile: ['preferred_username'] },
  scopes: [...OIDC_SCOPES, ...RESOURCE_SCOPES],
  responseTypes: ['code'],
  pkce: { required: () => true },
  allowOmittingSingleRegisteredRedirectUri: false,
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['ES256'],
    requestObjectSigningAlgValues: ['ES256', 'PS256'],
    userinfoSigningAlgValues: ['ES256'],
    introspectionSigningAlgValues: ['ES256'],
    authorizationSigningAlgValues: ['ES256'],
    dPoPSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
  },
  ttl: { ...TTL_SECONDS },
  rotateRefreshToken: () => true,
  revokeGrantPolicy: () => true,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId || client.clientId === resourceServerId,
    },
    revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    registration: { enabled: true, initialAccessToken: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource indicator; use ${resource}`);
        return {
          scope: RESOURCE_SCOPES.join(' '),
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
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
