/**
 * Issue 18: the page policy's dozen headers went on every answer, the token endpoints' JSON too,
 * where no browser renders them. Those JSON answers now carry nosniff (and HSTS in production) only;
 * every page, and anything else those paths answer, keeps the whole policy.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { CreatedClient } from '../clients/create-client.ts';
import { seedClient, startTestAuthServer } from '../testing/index.ts';
import type { TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let production: TestAuthServer;
let partner: CreatedClient;

beforeAll(async () => {
  server = await startTestAuthServer();
  production = await startTestAuthServer({ NODE_ENV: 'production', AUTH_KEY_ENCRYPTION_SECRET: 'test-production-key-encryption-secret-0123' });
  partner = await seedClient(server);
});
afterAll(async () => {
  await server.close();
  await production.close();
});

/** A form POST to `path` with the partner's client_secret_basic (any client id on `on`). */
async function post(on: TestAuthServer, path: string, form: Record<string, string>, registered: CreatedClient = partner): Promise<Response> {
  const credentials = Buffer.from(`${encodeURIComponent(registered.client_id)}:${encodeURIComponent(registered.client_secret as string)}`).toString('base64');
  return fetch(`${on.issuer}${path}`, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

const PAGE_POLICY_HEADERS = ['content-security-policy', 'x-frame-options', 'cross-origin-opener-policy', 'referrer-policy', 'x-permitted-cross-domain-policies'];

describe('security headers', () => {
  test.each([
    ['/token', { grant_type: 'client_credentials', scope: 'webhooks:manage' }, 200],
    ['/token', { grant_type: 'client_credentials', scope: 'payments:all' }, 400],
    ['/token/introspection', { token: 'not-a-token' }, 200],
    ['/token/revocation', { token: 'not-a-token' }, 200],
  ])('a JSON (or empty) answer of %s (%j) carries nosniff and not the page policy', async (path, form, status) => {
    const response = await post(server, path, form);
    expect(response.status).toBe(status);
    if (path === '/token/revocation') expect(await response.text()).toBe('');
    else expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    for (const name of PAGE_POLICY_HEADERS) expect(response.headers.get(name)).toBeNull();
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  test('in production the token endpoint\'s JSON answer carries HSTS too', async () => {
    const response = await post(production, '/token', { grant_type: 'client_credentials' });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('an HTML answer on a token path (a foreign Host: the 421 page) gets the whole page policy', async () => {
    const url = new URL('/token', server.issuer);
    const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(421);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  test('every other path keeps the whole page policy, JSON or not (discovery, the stylesheet)', async () => {
    for (const path of ['/.well-known/openid-configuration', '/assets/style.css', '/token/']) {
      const response = await fetch(`${server.issuer}${path}`);
      for (const name of PAGE_POLICY_HEADERS) expect([path, name, response.headers.get(name)]).toEqual([path, name, expect.any(String)]);
    }
  });
});
