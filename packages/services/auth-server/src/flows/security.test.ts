import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { createSigningKey } from '../keys/signing-keys.ts';
import { deriveSigningKeySealingKey } from '../keys/sealing.ts';
import { REDIRECT_URI, UserAgent, authorize, discover, exchange, introspect, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
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

function authorizationUrl(clientId: string, params: Record<string, string>): string {
  const url = new URL('/auth', server.issuer);
  const defaults = { client_id: clientId, response_type: 'code', scope: 'openid accounts:read', redirect_uri: REDIRECT_URI, state: 's1',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
  for (const [name, value] of Object.entries({ ...defaults, ...params })) {
    if (value !== '') url.searchParams.set(name, value);
  }
  return url.toString();
}

describe('authorization request checks (RFC 9700)', () => {
  test.each([
    ['a trailing slash', `${REDIRECT_URI}/`],
    ['another host', 'http://evil.example/callback'],
    ['a userinfo part', 'http://attacker@127.0.0.1:4002/callback'],
    ['another port', 'http://127.0.0.1:4003/callback'],
    ['an extra query', `${REDIRECT_URI}?next=/x`],
  ])('a redirect URI with %s gets an HTML error page, never a redirect', async (_label, redirectUri) => {
    const registered = await seedClient(server);
    const response = await new UserAgent().request(authorizationUrl(registered.client_id, { redirect_uri: redirectUri }));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/redirect_uri/);
  });

  test('an unknown client gets an HTML error page, never a redirect', async () => {
    const response = await new UserAgent().request(authorizationUrl('no-such-client', {}));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toMatch(/invalid_client/);
  });

  test.each([
    ['without PKCE', { code_challenge: '', code_challenge_method: '' }],
    ['with the plain method', { code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) }],
  ])('a request %s is refused back to the client as invalid_request', async (_label, params) => {
    const registered = await seedClient(server);
    const response = await new UserAgent().request(authorizationUrl(registered.client_id, params));
    const location = new URL(response.headers.get('location') as string);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE|code_challenge/);
  });

  test.each([
    ['a NUL byte', 'a%00b'],
    ['an encoded unpaired surrogate', 'a%ED%A0%80b'],
    ['broken percent-encoding', 'a%E0%A4b'],
  ])('a state with %s gets a 400 page instead of a database error', async (_label, encodedState) => {
    const registered = await seedClient(server);
    const url = authorizationUrl(registered.client_id, {}).replace('state=s1', `state=${encodedState}`);
    const response = await new UserAgent().request(url);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toMatch(/not (valid UTF-8|allowed)/);
  });

  test('the token endpoint refuses a wrong code verifier with invalid_grant', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const result = await authorize(server, config, alice, { scope: 'openid accounts:read' });
    await expect(exchange(config, { ...result, verifier: client.randomPKCECodeVerifier() })).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('one-time use under concurrency', () => {
  test('5 parallel exchanges of one code: exactly one gets tokens, and its access token ends up revoked as reuse', async () => {
    const a = await discover(server, await seedClient(server));
    const result = await authorize(server, a, alice);
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => exchange(a, result)));
    const won = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(won).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason.error))
      .toEqual(Array.from({ length: 4 }, () => 'invalid_grant'));
    expect((await introspect(a, won[0]?.access_token as string)).active).toBe(false);
  });

  test('5 parallel refreshes with one refresh token: at most one succeeds, and no token chain survives', async () => {
    const a = await discover(server, await seedClient(server));
    const tokens = await exchange(a, await authorize(server, a, alice));
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => client.refreshTokenGrant(a, tokens.refresh_token as string)));
    const won = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(won.length).toBeLessThanOrEqual(1);
    for (const refreshed of won) {
      await expect(client.refreshTokenGrant(a, refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect((await introspect(a, refreshed.access_token)).active).toBe(false);
    }
  });
});

describe('introspection and revocation', () => {
  test('client B introspecting client A\'s access or refresh token gets only active: false', async () => {
    const a = await discover(server, await seedClient(server));
    const b = await discover(server, await seedClient(server));
    const tokens = await exchange(a, await authorize(server, a, alice));
    expect(await introspect(b, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(b, tokens.refresh_token as string)).toEqual({ active: false });
    expect((await introspect(a, tokens.refresh_token as string)).active).toBe(true);
  });

  test('a registered resource server may introspect every client\'s tokens', async () => {
    const a = await discover(server, await seedClient(server));
    const resourceServer = await discover(server, await seedClient(server, { name: 'Resource API', redirectUris: [], resourceServer: true }));
    const tokens = await exchange(a, await authorize(server, a, alice, { scope: 'openid accounts:read' }));
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({ active: true, sub: alice.sub, scope: 'accounts:read' });
  });

  test('a forged or foreign JWT is inactive', async () => {
    const a = await discover(server, await seedClient(server));
    const tokens = await exchange(a, await authorize(server, a, alice, { scope: 'openid accounts:read' }));
    const [header, payload] = tokens.access_token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(tokens.access_token), scope: 'transfers:write' })).toString('base64url')}.${tokens.access_token.split('.')[2]}`;
    expect(await introspect(a, tampered)).toEqual({ active: false });
    expect(await introspect(a, `${header}.${payload}.`)).toEqual({ active: false });
    expect(await introspect(a, 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.')).toEqual({ active: false });
  });

  test('revoking a JWT access token (RFC 7009) makes it inactive and revokes its grant', async () => {
    const a = await discover(server, await seedClient(server));
    const tokens = await exchange(a, await authorize(server, a, alice));
    await client.tokenRevocation(a, tokens.access_token);
    expect((await introspect(a, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(a, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    const { rows } = await server.database.db.raw<{ rows: Array<{ active: boolean }> }>(
      'SELECT auth.access_token_is_active(?) AS active', [decodeJwt(tokens.access_token).jti as string]);
    expect(rows[0]?.active).toBe(false);
  });

  test('revoking a refresh token revokes the grant: its access token is inactive at once', async () => {
    const a = await discover(server, await seedClient(server));
    const tokens = await exchange(a, await authorize(server, a, alice));
    await client.tokenRevocation(a, tokens.refresh_token as string);
    expect((await introspect(a, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(a, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('another client cannot revoke a token it does not own', async () => {
    const a = await discover(server, await seedClient(server));
    const b = await discover(server, await seedClient(server));
    const tokens = await exchange(a, await authorize(server, a, alice));
    await client.tokenRevocation(b, tokens.access_token);
    await client.tokenRevocation(b, tokens.refresh_token as string);
    expect((await introspect(a, tokens.access_token)).active).toBe(true);
    expect((await introspect(a, tokens.refresh_token as string)).active).toBe(true);
  });
});

describe('signing key rotation', () => {
  test('after a rotation new tokens carry the new kid, and tokens signed by the old key still verify and introspect', async () => {
    const a = await discover(server, await seedClient(server));
    const before = await exchange(a, await authorize(server, a, alice, { scope: 'openid accounts:read' }));
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const { kid } = await createSigningKey(server.database.db, deriveSigningKeySealingKey('demo-only-key-encryption-secret-change-me'));
    expect(await server.auth.reloadKeys()).toBe(true);
    const jwks = await (await fetch(`${server.issuer}/jwks`)).json() as { keys: Array<{ kid: string; d?: string }> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([kid, oldKid]);
    expect(jwks.keys.every((key) => key.d === undefined)).toBe(true);
    const after = await exchange(a, await authorize(server, a, alice, { scope: 'openid accounts:read' }));
    expect(decodeProtectedHeader(after.access_token).kid).toBe(kid);
    expect((await introspect(a, before.access_token)).active).toBe(true);
    expect((await introspect(a, after.access_token)).active).toBe(true);
  });
});
