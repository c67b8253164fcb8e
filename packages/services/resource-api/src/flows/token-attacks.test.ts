import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK } from 'jose';
import type { JWTPayload } from 'jose';
import { createSigningKey, deriveSigningKeySealingKey, loadSigningKeys } from '@payapi/auth-server';
import type { PrivateJwk } from '@payapi/auth-server';
import { TEST_KEY_ENCRYPTION_SECRET, call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;
let partner: Connection;
/** The claims of a real token, to forge variations of. */
let realClaims: JWTPayload;
let signingKey: PrivateJwk;

beforeAll(async () => {
  // A short JWKS cooldown, so that the rotation test needs no long wait.
  api = await startTestApi((config) => ({ ...config, jwks: { ...config.jwks, cooldownMs: 200 } }));
  alice = await seedUser(api.auth);
  partner = await connect(api, alice);
  realClaims = decodeJwt(partner.accessToken);
  [signingKey] = await loadSigningKeys(api.auth.database.db, deriveSigningKeySealingKey(TEST_KEY_ENCRYPTION_SECRET)) as [PrivateJwk];
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** Signs `claims` with the authorization server's own key (a token the API must trust unless a claim is wrong). */
async function forge(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importJWK(signingKey, 'ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid, ...header }).sign(key);
}

async function expectRefused(token: string, detail: RegExp): Promise<void> {
  const answer = await call(api, 'GET', '/v1/accounts', { token });
  expect(answer.status).toBe(401);
  expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  expect(answer.body.code).toBe('invalid_token');
  expect(answer.body.detail).toMatch(detail);
}

const now = (): number => Math.floor(Date.now() / 1000);

test('a 401\'s error_description keeps every word of the problem\'s detail, quotes as single quotes (issue 17)', async () => {
  const { scope: _scope, ...withoutScope } = realClaims;
  const answer = await call(api, 'GET', '/v1/accounts', { token: await forge(withoutScope) });
  expect(answer.status).toBe(401);
  expect(answer.body.detail).toBe('the access token\'s "scope" claim is not acceptable');
  const description = /error_description="([^"]*)"/.exec(answer.headers.get('www-authenticate') ?? '')?.[1];
  expect(description).toBe('the access token\'s \'scope\' claim is not acceptable');
});

describe('access tokens the API accepts', () => {
  test('a real token from the code flow', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: partner.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toHaveLength(3);
  });

  test('a forged copy of the real claims signed with the real key (the forge itself is sound)', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: await forge(realClaims) });
    expect(answer.status).toBe(200);
  });

  test('a token expired less than the 30 s tolerance ago', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: await forge({ ...realClaims, iat: now() - 320, exp: now() - 20 }) });
    expect(answer.status).toBe(200);
  });

  test('the scheme name in any letter case (RFC 9110 §11.1)', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: partner.accessToken, scheme: 'bearer' });
    expect(answer.status).toBe(200);
  });
});

describe('token attacks are refused with 401 invalid_token', () => {
  test('alg: none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const payload = base64url.encode(JSON.stringify(realClaims));
    await expectRefused(`${header}.${payload}.`, /malformed|algorithm/);
  });

  test('HS256 signed with the public JWK as the secret', async () => {
    const { d: _private, ...publicJwk } = signingKey;
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await new SignJWT(realClaims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: signingKey.kid }).sign(secret);
    await expectRefused(token, /algorithm/);
  });

  test('a wrong aud', async () => {
    await expectRefused(await forge({ ...realClaims, aud: 'https://other-api.example' }), /"aud"/);
  });

  test('a wrong iss', async () => {
    await expectRefused(await forge({ ...realClaims, iss: 'https://evil.example' }), /"iss"/);
  });

  test('expired beyond the 30 s tolerance', async () => {
    await expectRefused(await forge({ ...realClaims, iat: now() - 400, exp: now() - 40 }), /expired/);
  });

  test('not valid before a time beyond the tolerance', async () => {
    await expectRefused(await forge({ ...realClaims, nbf: now() + 120 }), /"nbf"/);
  });

  test('an ID token presented as an access token', async () => {
    expect(partner.idToken).toBeDefined();
    expect(decodeProtectedHeader(partner.idToken as string).typ).not.toBe('at+jwt');
    await expectRefused(partner.idToken as string, /"typ"|malformed|not an access token/);
  });

  test('a payload tampered after signing', async () => {
    const [header, , signature] = partner.accessToken.split('.');
    const payload = base64url.encode(JSON.stringify({ ...realClaims, account_ids: [...(realClaims.account_ids as string[]), 'acc_' + 'f'.repeat(32)] }));
    await expectRefused(`${header}.${payload}.${signature}`, /signature/);
  });

  test('an unknown kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(realClaims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'no-such-key' }).sign(privateKey);
    await expectRefused(token, /unknown key/);
  });

  test('a known kid with another key\'s signature', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(realClaims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid }).sign(privateKey);
    await expectRefused(token, /signature/);
  });

  test('typ JWT instead of at+jwt', async () => {
    await expectRefused(await forge(realClaims, { typ: 'JWT' }), /"typ"/);
  });

  test.each(['sub', 'client_id', 'jti', 'scope'])('a token without %s', async (claim) => {
    const { [claim]: _dropped, ...rest } = realClaims;
    await expectRefused(await forge(rest), new RegExp(`"${claim}"`));
  });

  test('a malformed Authorization header', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(answer.status).toBe(401);
    expect(answer.body.detail).toMatch(/malformed/);
  });
});

describe('signing key rotation', () => {
  test('a token signed with a new key is accepted after one JWKS refetch', async () => {
    const db = api.auth.database.db;
    const { kid } = await createSigningKey(db, deriveSigningKeySealingKey(TEST_KEY_ENCRYPTION_SECRET));
    expect(await api.auth.auth.reloadKeys()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250)); // past the test's 200 ms cooldown
    const rotated = await connect(api, alice);
    expect(decodeProtectedHeader(rotated.accessToken).kid).toBe(kid);
    const answer = await call(api, 'GET', '/v1/accounts', { token: rotated.accessToken });
    expect(answer.status).toBe(200);
  });
});

describe('logs', () => {
  test('carry a request id on every request line and never a token or a full account id', async () => {
    await call(api, 'GET', `/v1/accounts/${alice.accounts[0]!.id}`, { token: partner.accessToken, headers: { 'x-fapi-interaction-id': 'log-check-1' } });
    const lines = api.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const mine = lines.filter((line) => line.interactionId === 'log-check-1');
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(line.reqId ?? (line.req as { id?: string } | undefined)?.id).toMatch(/^[0-9a-f-]{36}$/);
    const all = api.logs.join('\n');
    expect(all).not.toContain(partner.accessToken.split('.')[2]);
    expect(all).not.toContain(alice.accounts[0]!.id);
    expect(all).toContain(`acc_…${alice.accounts[0]!.id.slice(-4)}`);
  });

  test('never carry a token sent by mistake in the query string, nor an account id hidden by percent-encoding', async () => {
    const encodedId = alice.accounts[0]!.id.replace(/^a/, '%61');
    await call(api, 'GET', `/v1/accounts?access_token=${partner.accessToken}`, { token: partner.accessToken, headers: { 'x-fapi-interaction-id': 'log-check-2' } });
    await call(api, 'GET', `/v1/accounts/${encodedId}`, { token: partner.accessToken, headers: { 'x-fapi-interaction-id': 'log-check-3' } });
    const all = api.logs.join('\n');
    expect(all).toContain('?[query omitted]');
    expect(all).not.toContain(partner.accessToken.split('.')[1]);
    expect(all).not.toContain(alice.accounts[0]!.id.slice(4));
  });
});
