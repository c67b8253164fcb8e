import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { openAccount } from '@payapi/ledger';
import { decodeJwt } from 'jose';
import { createInitialAccessToken } from '../clients/initial-access-token.ts';
import { REDIRECT_URI, UserAgent, authorize, discover, exchange, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

// Regression tests for what an adversarial review found (2026-11-29).
let server: TestAuthServer;
let production: TestAuthServer;
let alice: Alice;

beforeAll(async () => {
  server = await startTestAuthServer();
  alice = await seedUser(server);
  production = await startTestAuthServer({ NODE_ENV: 'production', AUTH_KEY_ENCRYPTION_SECRET: 'test-production-key-encryption-secret-0123' });
});
afterAll(async () => {
  await server.close();
  await production.close();
});

async function register(metadata: Record<string, unknown>): Promise<{ status: number; body: { error?: string; client_id?: string } }> {
  const { initial_access_token: token } = await createInitialAccessToken(server.database.db);
  const response = await fetch(`${server.issuer}/reg`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(metadata),
  });
  return { status: response.status, body: await response.json() as { error?: string; client_id?: string } };
}

describe('hardening found by review', () => {
  test('self-registration refuses client_credentials without client authentication (anyone knowing the id could mint tokens)', async () => {
    const refused = await register({ redirect_uris: [], response_types: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_client_metadata');
    expect(refused.body.client_id).toBeUndefined();
  });

  test('self-registration refuses plain-http post-logout redirect URIs and more than 10 redirect URIs', async () => {
    expect((await register({ redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: ['http://evil.example/'] })).body.error).toBe('invalid_redirect_uri');
    const many = Array.from({ length: 11 }, (_, index) => `https://partner.example/cb${index}`);
    expect((await register({ redirect_uris: many })).body.error).toBe('invalid_client_metadata');
  });

  test('a form_post response page may run its own auto-submit script: CSP allows exactly its hash, no unsafe-inline', async () => {
    const config = await discover(server, await seedClient(server));
    const result = await authorize(server, config, alice, { scope: 'openid accounts:read', extra: { response_mode: 'form_post' } });
    expect(result.formPost).toBeDefined();
    const csp = result.formPost?.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(result.formPost?.html).toContain(`action="${REDIRECT_URI}"`);
  });

  test('in production a request with a foreign Host header gets 421, so discovery cannot point elsewhere', async () => {
    const url = new URL('/.well-known/openid-configuration', production.issuer);
    const forged = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    expect(forged).toBe(421);
    const genuine = await fetch(url);
    expect(genuine.status).toBe(200);
    expect((await genuine.json() as { token_endpoint: string }).token_endpoint).toBe(`${production.issuer}/token`);
  });

  test('Deny after Allow on the same interaction revokes the grant the Allow made', async () => {
    const registered = await seedClient(server);
    const config = await discover(server, registered);
    const agent = new UserAgent();
    const allowed = await authorize(server, config, alice, { scope: 'openid accounts:read', agent, keepConsentPage: true });
    const consent = allowed.consentPage as { confirm: string; deny: string; accountIds: string[] };
    await agent.request(consent.confirm, { form: { account_ids: consent.accountIds } });
    const denied = await agent.request(consent.deny, { method: 'POST', form: {} });
    expect(denied.status).toBe(303);
    const { rows } = await server.database.db.raw<{ rows: Array<{ active: number }> }>(
      `SELECT count(*)::int AS active FROM auth.grant_accounts WHERE client_id = ? AND auth.grant_is_active(grant_id)`, [registered.client_id]);
    expect(rows[0]?.active).toBe(0);
  });

  test('a user with 25 accounts can share all of them (the form parser turns more than 20 values into an object)', async () => {
    const many = await seedUser(server, 'manyaccounts', 'many-accounts-password');
    for (let index = 0; index < 22; index += 1) {
      many.accounts.push(await openAccount(server.database.db, { ownerSubject: many.sub, name: `Pot ${index}`, type: 'savings', currency: 'CNY' }));
    }
    const config = await discover(server, await seedClient(server));
    const tokens = await exchange(config, await authorize(server, config, many, { scope: 'openid accounts:read' }));
    const shared = decodeJwt(tokens.access_token).account_ids as string[];
    expect(shared).toHaveLength(25);
    expect([...shared].sort()).toEqual(many.accounts.map((account) => account.id).sort());
  });
});
