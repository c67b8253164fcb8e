import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as client from 'openid-client';
import { ClientInputError, createClient } from '../clients/create-client.ts';
import { createInitialAccessToken } from '../clients/initial-access-token.ts';
import { REDIRECT_URI, UserAgent, authorize, discover, exchange, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

// Regression tests for the security review's findings (docs/security.md, "Security review"); each test names its finding.
let server: TestAuthServer;
/** Behind one trusted proxy (TRUST_PROXY_HOPS=1): X-Forwarded-For chooses the client address. */
let proxied: TestAuthServer;
let alice: Alice;

beforeAll(async () => {
  server = await startTestAuthServer();
  proxied = await startTestAuthServer({ TRUST_PROXY_HOPS: '1' });
  alice = await seedUser(server);
});
afterAll(async () => {
  await server.close();
  await proxied.close();
});

/** Row counts that any client creation changes. */
async function clientRows(target: TestAuthServer): Promise<{ clients: number; resourceServers: number }> {
  const { rows } = await target.database.db.raw<{ rows: Array<{ clients: number; resource_servers: number }> }>(
    `SELECT (SELECT count(*)::int FROM auth.oidc_store WHERE model = 'Client') AS clients,
            (SELECT count(*)::int FROM auth.resource_servers) AS resource_servers`);
  return { clients: rows[0]?.clients ?? -1, resourceServers: rows[0]?.resource_servers ?? -1 };
}

/** RFC 7662 introspection authenticated with `client_id` only (token_endpoint_auth_method none). */
async function introspectWithoutSecret(clientId: string, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.issuer}/token/introspection`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: clientId }).toString(),
  });
  return await response.json() as Record<string, unknown>;
}

describe('finding 2: a client without a secret is never a resource server', () => {
  test('finding 2: createClient refuses public together with resourceServer, writing nothing', async () => {
    const before = await clientRows(server);
    const attempt = createClient(server.database.db, { name: 'x', redirectUris: ['http://localhost:4003/cb'], public: true, resourceServer: true });
    await expect(attempt).rejects.toThrow(ClientInputError);
    await expect(attempt).rejects.toThrow(/--public.*--resource-server|resource server.*secret/);
    expect(await clientRows(server)).toEqual(before);
  });

  test('finding 2: introspection without client authentication never sees other clients\' tokens, even for a public client stored as a resource server', async () => {
    const partner = await discover(server, await seedClient(server));
    const tokens = await exchange(partner, await authorize(server, partner, alice, { scope: 'openid offline_access accounts:read' }));
    const publicId = 'cl_public_resource_server';
    await server.database.db.raw(`INSERT INTO auth.oidc_store (model, id, payload) VALUES ('Client', ?, ?::jsonb)`, [publicId, JSON.stringify({
      client_id: publicId, client_name: 'Sneaky', redirect_uris: ['http://localhost:4003/cb'], grant_types: ['authorization_code'],
      response_types: ['code'], scope: 'openid accounts:read', token_endpoint_auth_method: 'none',
    })]);
    await server.database.db.raw(`INSERT INTO auth.resource_servers (client_id) VALUES (?)`, [publicId]);
    expect(await introspectWithoutSecret(publicId, tokens.access_token)).toEqual({ active: false });
    expect(await introspectWithoutSecret(publicId, tokens.refresh_token as string)).toEqual({ active: false });
  });
});

describe('finding 3: an initial access token registers one client', () => {
  async function register(token: string, metadata: Record<string, unknown>): Promise<{ status: number; body: { error?: string; error_description?: string; client_id?: string } }> {
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(metadata),
    });
    return { status: response.status, body: await response.json() as { error?: string; error_description?: string; client_id?: string } };
  }

  test('finding 3: one initial access token registers exactly one client under eight parallel registrations', async () => {
    const { initial_access_token: token } = await createInitialAccessToken(server.database.db);
    const before = await clientRows(server);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => register(token, { client_name: `Racer ${index}`, redirect_uris: [REDIRECT_URI] })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 401, 401, 401, 401, 401, 401, 401]);
    for (const refused of answers.filter((answer) => answer.status === 401)) {
      expect(refused.body.error).toBe('invalid_token');
      expect(refused.body.client_id).toBeUndefined();
    }
    expect((await clientRows(server)).clients).toBe(before.clients + 1);
  });

  test('finding 3: a second use is refused with a description saying the token was already used', async () => {
    const { initial_access_token: token } = await createInitialAccessToken(server.database.db);
    expect((await register(token, { client_name: 'First', redirect_uris: [REDIRECT_URI] })).status).toBe(201);
    const again = await register(token, { client_name: 'Second', redirect_uris: [REDIRECT_URI] });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ error: 'invalid_token', error_description: expect.stringMatching(/already used/) });
    const unknown = await register('never-issued-initial-access-token-0123456789', { client_name: 'Third', redirect_uris: [REDIRECT_URI] });
    expect(unknown.body).toEqual({ error: 'invalid_token', error_description: expect.stringMatching(/unknown or expired/) });
  });

  test('finding 3: a registration refused for bad metadata keeps the token, and parallel use around it still registers at most one client', async () => {
    const { initial_access_token: token } = await createInitialAccessToken(server.database.db);
    const mixed = await Promise.all(Array.from({ length: 8 }, (_, index) => register(token, index % 2 === 0
      ? { client_name: `Bad ${index}`, redirect_uris: ['http://partner.example/cb'] }
      : { client_name: `Good ${index}`, redirect_uris: [REDIRECT_URI] })));
    const created = mixed.filter((answer) => answer.status === 201).length;
    expect(created).toBeLessThanOrEqual(1);
    expect(mixed.every((answer) => [201, 400, 401].includes(answer.status))).toBe(true);
    const after = await register(token, { client_name: 'Afterwards', redirect_uris: [REDIRECT_URI] });
    expect(after.status).toBe(created === 1 ? 401 : 201);
  });
});

describe('finding 5: failed sign-ins elsewhere cannot lock the owner out', () => {
  async function signIn(from: string, username: string, password: string): Promise<Response> {
    return fetch(`${proxied.issuer}/account/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
      body: new URLSearchParams({ username, password }).toString(),
    });
  }

  test('finding 5: the owner signs in from another address after 6 failures from an attacker address, which stays blocked for that username', async () => {
    const owner = await seedUser(proxied, 'olga', 'olga-password');
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await signIn('203.0.113.66', owner.username, `wrong-${attempt}-password`)).status).toBe(200);
    }
    expect((await signIn('203.0.113.66', owner.username, 'wrong-6-password')).status).toBe(429);
    const ownerAnswer = await signIn('198.51.100.7', owner.username, owner.password);
    expect(ownerAnswer.status).toBe(303);
    expect(ownerAnswer.headers.get('location')).toBe('/account/apps');
    const attacker = await signIn('203.0.113.66', owner.username, owner.password);
    expect(attacker.status).toBe(429);
    expect(Number(attacker.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 30_000);
});

describe('finding 7: signing out of the bank ends the authorization server\'s session too', () => {
  test('finding 7: after Sign out on /account/apps, prompt=none answers login_required instead of a code', async () => {
    const sybil = await seedUser(server, 'sybil', 'sybil-password');
    const partner = await discover(server, await seedClient(server));
    const agent = new UserAgent();
    await exchange(partner, await authorize(server, partner, sybil, { scope: 'openid accounts:read', agent }));
    const silent = await authorize(server, partner, sybil, { scope: 'openid accounts:read', agent, prompt: 'none' });
    expect(silent.callbackUrl.searchParams.get('code')).toEqual(expect.any(String));
    const sessionsOfSybil = async (): Promise<number> => (await server.database.db.raw<{ rows: unknown[] }>(
      `SELECT 1 FROM auth.oidc_store WHERE model = 'Session' AND payload->>'accountId' = ?`, [sybil.sub])).rows.length;
    expect(await sessionsOfSybil()).toBe(1);

    expect((await agent.request(`${server.issuer}/account/login`, { form: { username: sybil.username, password: sybil.password } })).status).toBe(303);
    const apps = await (await agent.request(`${server.issuer}/account/apps`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(apps)?.[1] ?? '';
    expect((await agent.request(`${server.issuer}/account/logout`, { form: { csrf } })).status).toBe(303);

    const after = await authorize(server, partner, sybil, { scope: 'openid accounts:read', agent, prompt: 'none' });
    expect(after.callbackUrl.searchParams.get('code')).toBeNull();
    expect(after.callbackUrl.searchParams.get('error')).toBe('login_required');
    expect(await sessionsOfSybil()).toBe(0);
  });
});

describe('finding 8: discovery never follows the Host header', () => {
  /** GET with a chosen Host (and other) header, which fetch does not allow. */
  async function getWithHeaders(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const url = new URL(path, base);
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('finding 8: outside production a foreign Host gets 421 Misdirected Request, and discovery shows the issuer\'s endpoints', async () => {
    const port = new URL(server.issuer).port;
    for (const host of ['evil.example', `evil.example:${port}`, `localhost:${port}`, `127.0.0.1:${Number(port) + 1}`]) {
      const forged = await getWithHeaders(server.issuer, '/.well-known/openid-configuration', { host });
      expect({ host, status: forged.status }).toEqual({ host, status: 421 });
      expect(forged.body).not.toContain('evil.example/token');
    }
    const genuine = await getWithHeaders(server.issuer, '/.well-known/openid-configuration', { host: `127.0.0.1:${port}` });
    expect(genuine.status).toBe(200);
    const metadata = JSON.parse(genuine.body) as { issuer: string; token_endpoint: string; jwks_uri: string };
    expect(metadata).toMatchObject({ issuer: server.issuer, token_endpoint: `${server.issuer}/token`, jwks_uri: `${server.issuer}/jwks` });
    expect((await client.discovery(new URL(server.issuer), 'any', undefined, client.None(), { execute: [client.allowInsecureRequests] })).serverMetadata().issuer).toBe(server.issuer);
  });

  test('finding 8: behind a trusted proxy a forged X-Forwarded-Host gets 421 too', async () => {
    const forged = await getWithHeaders(proxied.issuer, '/.well-known/openid-configuration', { 'x-forwarded-host': 'evil.example' });
    expect(forged.status).toBe(421);
    expect((await getWithHeaders(proxied.issuer, '/jwks', {})).status).toBe(200);
  });
});
