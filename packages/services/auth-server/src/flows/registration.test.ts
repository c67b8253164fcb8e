import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { isWellFormedClientSecret } from '../clients/client-secret-format.ts';
import { createInitialAccessToken } from '../clients/initial-access-token.ts';
import { REDIRECT_URI, RESOURCE, authorize, discover, exchange, introspect, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let alice: Alice;
let registrationEndpoint: string;

beforeAll(async () => {
  server = await startTestAuthServer();
  alice = await seedUser(server);
  const metadata = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as { registration_endpoint?: string };
  registrationEndpoint = metadata.registration_endpoint ?? '';
});
afterAll(async () => {
  await server.close();
});

/** What the registration endpoint answers (RFC 7591 §3.2): the client's metadata, or an error. */
interface RegistrationAnswer {
  status: number;
  wwwAuthenticate: string | null;
  body: { client_id?: string; client_secret?: string; client_name?: string; redirect_uris?: string[]; error?: string; error_description?: string };
}

async function register(metadata: Record<string, unknown>, initialAccessToken?: string): Promise<RegistrationAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (initialAccessToken !== undefined) headers.authorization = `Bearer ${initialAccessToken}`;
  const response = await fetch(registrationEndpoint, { method: 'POST', headers, body: JSON.stringify(metadata) });
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: await response.json() as RegistrationAnswer['body'] };
}

const PARTNER_METADATA = { client_name: 'Self-Registered Partner', redirect_uris: [REDIRECT_URI] };

async function iat(): Promise<string> {
  return (await createInitialAccessToken(server.database.db)).initial_access_token;
}

/** openid-client configuration for a client the registration endpoint returned. */
async function configFor(registered: RegistrationAnswer['body']): Promise<client.Configuration> {
  return client.discovery(new URL(server.issuer), registered.client_id as string, undefined,
    client.ClientSecretBasic(registered.client_secret as string), { execute: [client.allowInsecureRequests] });
}

describe('dynamic client registration (RFC 7591)', () => {
  test('discovery advertises the registration endpoint', () => {
    expect(registrationEndpoint).toBe(`${server.issuer}/reg`);
  });

  test('a registration without an initial access token is refused with 401 and a Bearer challenge', async () => {
    const answer = await register(PARTNER_METADATA);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
    expect(answer.body.client_id).toBeUndefined();
    // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
    expect(answer.wwwAuthenticate).toBe(`Bearer realm="${server.issuer}"`);
  });

  test('a registration with a made-up initial access token is refused with 401 invalid_token', async () => {
    const answer = await register(PARTNER_METADATA, 'made-up-initial-access-token-0123456789abcdef');
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
  });

  test('a registration with an expired initial access token is refused', async () => {
    const { initial_access_token: token, expires_in: ttlSeconds } = await createInitialAccessToken(server.database.db, 1);
    expect(ttlSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const answer = await register(PARTNER_METADATA, token);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
  });

  test('with an initial access token it registers a confidential client that completes the code flow', async () => {
    const answer = await register(PARTNER_METADATA, await iat());
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ client_name: 'Self-Registered Partner', redirect_uris: [REDIRECT_URI] });
    expect(answer.body.client_id).toEqual(expect.any(String));
    expect(answer.body.client_secret).toEqual(expect.any(String));
    const config = await configFor(answer.body);
    const chosen = [alice.accounts[1]?.id as string];
    const tokens = await exchange(config, await authorize(server, config, alice, { accountIds: chosen }));
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: RESOURCE, sub: alice.sub, client_id: answer.body.client_id, account_ids: chosen });
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
  });

  test('the registered client gets a secret in the sk_sandbox_ format, stored hashed: the client read (RFC 7592) leaves it out', async () => {
    const answer = await register(PARTNER_METADATA, await iat());
    expect(isWellFormedClientSecret(answer.body.client_secret, 'sandbox')).toBe(true);
    const { rows } = await server.database.db.raw<{ rows: Array<{ text: string }> }>(
      `SELECT payload::text AS text FROM auth.oidc_store WHERE model = 'Client' AND id = ?`, [answer.body.client_id as string]);
    expect(rows[0]?.text).not.toContain(answer.body.client_secret);
    const body = answer.body as RegistrationAnswer['body'] & { registration_client_uri: string; registration_access_token: string };
    const read = await fetch(body.registration_client_uri, { headers: { authorization: `Bearer ${body.registration_access_token}` } });
    expect(read.status).toBe(200);
    const metadata = await read.json() as Record<string, unknown>;
    expect(metadata).toMatchObject({ client_id: answer.body.client_id, client_name: 'Self-Registered Partner' });
    expect(metadata.client_secret).toBeUndefined();
  });

  test('client_secret_jwt is not offered: a secret kept as a hash cannot key an HMAC', async () => {
    const refused = await register({ ...PARTNER_METADATA, token_endpoint_auth_method: 'client_secret_jwt' }, await iat());
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_client_metadata');
  });

  test('the registered client must still use PKCE: a request without a code challenge is refused', async () => {
    const answer = await register(PARTNER_METADATA, await iat());
    const url = new URL('/auth', server.issuer);
    for (const [name, value] of Object.entries({ client_id: answer.body.client_id as string, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state: 's' })) {
      url.searchParams.set(name, value);
    }
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') as string);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/code_challenge|PKCE/);
  });

  test('an initial access token registers one client: using it again is refused, saying it is single use (issue 17)', async () => {
    const token = await iat();
    expect((await register(PARTNER_METADATA, token)).status).toBe(201);
    const again = await register({ ...PARTNER_METADATA, client_name: 'Second Client' }, token);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_token');
    expect(again.body.client_id).toBeUndefined();
    // Not oidc-provider's "invalid token provided": the body and the challenge say why.
    const description = 'initial access token already used: it is single use (each one registers one client); ask the operator for a new one';
    expect(again.body.error_description).toBe(description);
    expect(again.wwwAuthenticate).toBe(`Bearer realm="${server.issuer}", error="invalid_token", error_description="${description}"`);
  });

  test('a refused registration (invalid metadata) leaves the initial access token usable', async () => {
    const token = await iat();
    const invalid = await register({ client_name: 'No Redirect URIs' }, token);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/^invalid_(redirect_uri|client_metadata)$/);
    expect((await register(PARTNER_METADATA, token)).status).toBe(201);
  });

  test.each([
    ['plain http on a public host', 'http://partner.example/cb', 'redirect URI must be https (http only on localhost): http://partner.example/cb'],
    ['a javascript: URI', 'javascript:alert(1)', 'redirect URI must be https (http only on localhost): javascript:alert(1)'],
    ['a fragment', 'https://partner.example/cb#x', 'redirect URI must not carry a fragment or credentials: https://partner.example/cb#x'],
    ['a form the URL parser writes otherwise', 'HTTPS://partner.example/cb', 'redirect URI must be written in its normal form, https://partner.example/cb: HTTPS://partner.example/cb'],
  ])('a self-registered redirect URI with %s is refused with invalid_redirect_uri saying what is wrong (issue 17)', async (_label, redirectUri, description) => {
    const token = await iat();
    const refused = await register({ client_name: 'Sloppy Partner', redirect_uris: ['https://partner.example/ok', redirectUri] }, token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_redirect_uri');
    // Our rule, not oidc-provider's "redirect_uri did not match any of the client's registered redirect_uris".
    expect(refused.body.error_description).toBe(description);
    expect(refused.body.client_id).toBeUndefined();
  });

  test('a refused post-logout redirect URI is invalid_redirect_uri naming the member and the URI', async () => {
    const refused = await register({ ...PARTNER_METADATA, post_logout_redirect_uris: ['http://partner.example/bye'] }, await iat());
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'invalid_redirect_uri',
      error_description: 'post_logout_redirect_uris: a post-logout redirect URI must be https (http only on localhost): http://partner.example/bye',
    });
  });

  test('a client registering itself cannot become a resource server, nor take over a resource server\'s client_id', async () => {
    const resourceServer = await seedClient(server, { name: 'Resource API', redirectUris: [], resourceServer: true });
    const partner = await discover(server, await seedClient(server));
    const tokens = await exchange(partner, await authorize(server, partner, alice, { scope: 'openid accounts:read' }));
    const answer = await register({
      ...PARTNER_METADATA,
      client_id: resourceServer.client_id,
      resource_server: true,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    }, await iat());
    expect(answer.status).toBe(201);
    expect(answer.body.client_id).not.toBe(resourceServer.client_id);
    const selfRegistered = await configFor(answer.body);
    expect(await introspect(selfRegistered, tokens.access_token)).toEqual({ active: false });
    const genuine = await discover(server, resourceServer);
    expect(await introspect(genuine, tokens.access_token)).toMatchObject({ active: true, sub: alice.sub });
  });
});
