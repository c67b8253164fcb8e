import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { ALL_SCOPES, RESOURCE, authorize, discover, exchange, introspect, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let alice: Alice;

beforeAll(async () => {
  server = await startTestAuthServer();
  alice = await seedUser(server);
});
afterAll(async () => {
  await server.close();
});

describe('discovery', () => {
  test('advertises code flow only, S256 PKCE only, RFC 9207 iss, and the token endpoints', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.introspection_endpoint).toBe(`${server.issuer}/token/introspection`);
    expect(metadata.revocation_endpoint).toBe(`${server.issuer}/token/revocation`);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(metadata.grant_types_supported).not.toContain('implicit');
    const oauth = await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json() as { issuer: string };
    expect(oauth.issuer).toBe(server.issuer);
  });
});

describe('authorization code flow with PKCE', () => {
  test('sign-in and consent with two of three accounts give an RFC 9068 access token carrying exactly those accounts', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const chosen = [alice.accounts[0]?.id as string, alice.accounts[2]?.id as string];
    const result = await authorize(server, config, alice, { accountIds: chosen });
    expect(result.callbackUrl.searchParams.get('iss')).toBe(server.issuer);
    const tokens = await exchange(config, result);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(300);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.id_token).toEqual(expect.any(String));
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: server.issuer, aud: RESOURCE, sub: alice.sub, client_id: registered.client_id });
    expect(String(claims.scope).split(' ').sort()).toEqual(['accounts:read', 'transactions:read', 'transfers:write']);
    expect(claims.account_ids).toEqual(chosen);
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect(claims.jti).toEqual(expect.any(String));
    const introspection = await introspect(config, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, sub: alice.sub, client_id: registered.client_id, account_ids: chosen, token_type: 'Bearer' });
  });

  test('refresh rotates the refresh token and keeps the consented accounts without sending resource again', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const chosen = [alice.accounts[1]?.id as string];
    const tokens = await exchange(config, await authorize(server, config, alice, { accountIds: chosen }));
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const claims = decodeJwt(refreshed.access_token);
    expect(claims.aud).toBe(RESOURCE);
    expect(claims.account_ids).toEqual(chosen);
  });

  test('reusing a rotated refresh token fails and revokes the grant: the newest refresh and access tokens die too', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const first = await exchange(config, await authorize(server, config, alice));
    const second = await client.refreshTokenGrant(config, first.refresh_token as string);
    await expect(client.refreshTokenGrant(config, first.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(config, second.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await introspect(config, second.access_token)).active).toBe(false);
    expect((await introspect(config, first.access_token)).active).toBe(false);
  });

  test('reusing an authorization code fails with invalid_grant and makes the first access token inactive', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const result = await authorize(server, config, alice);
    const tokens = await exchange(config, result);
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
    await expect(exchange(config, result)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await introspect(config, tokens.access_token)).active).toBe(false);
  });

  test('pressing Deny returns access_denied to the redirect URI, with iss', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const result = await authorize(server, config, alice, { deny: true });
    expect(result.callbackUrl.origin + result.callbackUrl.pathname).toBe('http://127.0.0.1:4002/callback');
    expect(result.callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(result.callbackUrl.searchParams.get('iss')).toBe(server.issuer);
  });

  test('a public client must use PKCE too and gets tokens without a secret', async () => {
    const registered = await seedClient(server, { public: true });
    expect(registered.client_secret).toBeUndefined();
    const config = await discover(server, registered);
    const tokens = await exchange(config, await authorize(server, config, alice, { scope: 'openid accounts:read' }));
    expect(decodeJwt(tokens.access_token).scope).toBe('accounts:read');
  });

  test('a later request within the existing grant skips consent; prompt=consent asks again', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const first = await authorize(server, config, alice, { scope: 'openid accounts:read' });
    await exchange(config, first);
    const again = await authorize(server, config, alice, { scope: 'openid accounts:read', prompt: 'none', agent: first.agent });
    expect(again.callbackUrl.searchParams.get('code')).toEqual(expect.any(String));
    const broader = await authorize(server, config, alice, { scope: 'openid accounts:read transfers:write', prompt: 'none', agent: first.agent });
    expect(broader.callbackUrl.searchParams.get('error')).toBe('consent_required');
  });
});

describe('client credentials', () => {
  test('a confidential client gets a JWT access token for the resource API without a user', async () => {
    const registered = await seedClient(server, { scope: 'webhooks:manage' });
    const config = await discover(server, registered);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'webhooks:manage', resource: RESOURCE });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: RESOURCE, client_id: registered.client_id, scope: 'webhooks:manage' });
    expect(claims.sub).toBe(registered.client_id);
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
  });
});

describe('webhooks:manage (docs/webhooks.md): a scope of the client itself', () => {
  test('is granted by client credentials, with sub = client_id and no account_ids (how the resource API tells such a token)', async () => {
    const registered = await seedClient(server, { scope: 'openid accounts:read webhooks:manage' });
    const config = await discover(server, registered);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'webhooks:manage' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: RESOURCE, client_id: registered.client_id, sub: registered.client_id, scope: 'webhooks:manage' });
    expect(claims.account_ids).toBeUndefined();
  });

  test('is refused to a client not registered with it (invalid_scope)', async () => {
    const registered = await seedClient(server, { scope: 'accounts:read' });
    const config = await discover(server, registered);
    await expect(client.clientCredentialsGrant(config, { scope: 'webhooks:manage' })).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  test('is never granted in the code flow: the consent page does not offer it and the token does not carry it', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const flow = await authorize(server, config, alice, { scope: 'openid accounts:read webhooks:manage', keepConsentPage: true });
    const consent = await flow.agent.request(flow.callbackUrl.toString());
    const html = await consent.text();
    expect(html).toContain('See the chosen accounts');
    expect(html).not.toContain('webhooks:manage');
    const tokens = await exchange(config, await authorize(server, config, alice, { scope: 'openid accounts:read webhooks:manage' }));
    const claims = decodeJwt(tokens.access_token);
    expect(claims.scope).toBe('accounts:read');
    expect(claims.sub).toBe(alice.sub);
    expect(claims.account_ids).toEqual(expect.any(Array));
  });
});

describe('all scopes', () => {
  test('the test scope list is the documented list of what a user grants in the code flow', () => {
    expect(ALL_SCOPES.split(' ').sort()).toEqual(['accounts:read', 'offline_access', 'openid', 'transactions:read', 'transfers:write']);
  });

  test('clients may be registered with every documented scope, payments:write and webhooks:manage included', async () => {
    const registered = await seedClient(server, { scope: 'openid offline_access accounts:read transactions:read transfers:write payments:write webhooks:manage' });
    expect(registered.scope.split(' ')).toEqual(expect.arrayContaining(['payments:write', 'webhooks:manage']));
  });
});
