/**
 * Issue 17: a client-credentials request for an unknown or unallowed scope got a token without
 * `scope`, which the resource API then refused with a puzzling 401. It is `invalid_scope` at the token
 * endpoint now (RFC 6749 §5.2), saying what to ask for. A request without `scope` still gets a token
 * without one: the public contract's check "client_credentials issues a token" asks exactly that.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import type { CreatedClient } from '../clients/create-client.ts';
import { RESOURCE, seedClient, startTestAuthServer } from '../testing/index.ts';
import type { TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let partner: CreatedClient;

beforeAll(async () => {
  server = await startTestAuthServer();
  partner = await seedClient(server);
});
afterAll(async () => {
  await server.close();
});

/** A raw token request (client_secret_basic), so the test sees exactly what a partner's tool sees. */
async function clientCredentials(registered: CreatedClient, scope?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const credentials = Buffer.from(`${encodeURIComponent(registered.client_id)}:${encodeURIComponent(registered.client_secret as string)}`).toString('base64');
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) }),
  });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

describe('client credentials scope (issue 17)', () => {
  test('an unknown scope (scope=payments:all) is invalid_scope naming it, not a token without scope', async () => {
    const answer = await clientCredentials(partner, 'payments:all');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_scope', error_description: 'unknown scope payments:all: client credentials give webhooks:manage', scope: 'payments:all' });
  });

  test('no scope at all still gets a token, without a scope (the contract\'s checks rely on it), and it can call no route', async () => {
    for (const scope of [undefined, '']) {
      const answer = await clientCredentials(partner, scope);
      expect(answer.status).toBe(200);
      expect(answer.body.scope).toBeUndefined();
      expect(decodeJwt(String(answer.body.access_token)).scope ?? '').toBe('');
    }
  });

  test.each(['accounts:read', 'transactions:read', 'transfers:write', 'payments:write', 'openid', 'offline_access'])(
    'a scope that needs a user (%s) is invalid_scope: a user consents to it in the code flow', async (scope) => {
      const answer = await clientCredentials(partner, scope);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: 'invalid_scope', error_description: `${scope} needs a user's consent, through the authorization code flow: client credentials give webhooks:manage`, scope,
      });
    },
  );

  test('webhooks:manage with a user scope is refused as a whole, not trimmed to what is allowed', async () => {
    const answer = await clientCredentials(partner, 'webhooks:manage accounts:read');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_scope');
    expect(answer.body.access_token).toBeUndefined();
  });

  test('webhooks:manage for a client not registered with it is invalid_scope', async () => {
    const readOnly = await seedClient(server, { scope: 'openid accounts:read' });
    const answer = await clientCredentials(readOnly, 'webhooks:manage');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_scope', error_description: 'this client is not registered with the scope webhooks:manage', scope: 'webhooks:manage' });
  });

  test('webhooks:manage gives a token whose scope is exactly webhooks:manage', async () => {
    const answer = await clientCredentials(partner, 'webhooks:manage');
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('webhooks:manage');
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ scope: 'webhooks:manage', aud: RESOURCE, sub: partner.client_id });
  });
});
