import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT, decodeJwt, importJWK } from 'jose';
import * as client from 'openid-client';
import { deriveSigningKeySealingKey, loadSigningKeys } from '@payapi/auth-server';
import type { PrivateJwk } from '@payapi/auth-server';
import { TEST_KEY_ENCRYPTION_SECRET, call, connect, connectClient, seedUser, startTestApi } from '../testing/index.ts';
import type { ClientSession, Connection, TestApi } from '../testing/index.ts';

// Who may call the webhook and event routes (docs/webhooks.md): a client-credentials token with
// webhooks:manage, for its own client's data only. Every route is tried with every kind of caller.

let api: TestApi;
let owner: ClientSession;
let stranger: ClientSession;
let user: Connection;
let endpointId: string;
let eventId: string;

/** Every operation, with a body where it takes one; `{endpoint}` and `{event}` are the owner's. */
const ROUTES: Array<[string, string, unknown?]> = [
  ['POST', '/v1/webhook-endpoints', { url: 'https://8.8.8.8/hooks', event_types: ['grant.revoked'] }],
  ['GET', '/v1/webhook-endpoints'],
  ['GET', '/v1/webhook-endpoints/{endpoint}'],
  ['PATCH', '/v1/webhook-endpoints/{endpoint}', { status: 'disabled' }],
  ['DELETE', '/v1/webhook-endpoints/{endpoint}'],
  ['POST', '/v1/webhook-endpoints/{endpoint}/secret/rotate'],
  ['POST', '/v1/webhook-endpoints/{endpoint}/test'],
  ['GET', '/v1/webhook-endpoints/{endpoint}/deliveries'],
  ['GET', '/v1/events'],
  ['GET', '/v1/events/{event}'],
  ['POST', '/v1/events/{event}/redeliver'],
];
const ROUTES_WITH_ID = ROUTES.filter(([, path]) => path.includes('{'));

const pathOf = (path: string): string => path.replace('{endpoint}', endpointId).replace('{event}', eventId);
const request = (token: string | undefined, [method, path, json]: [string, string, unknown?]): ReturnType<typeof call> =>
  call(api, method, pathOf(path), { ...(token ? { token } : {}), ...(json === undefined ? {} : { json }) });

beforeAll(async () => {
  api = await startTestApi();
  owner = await connectClient(api);
  stranger = await connectClient(api);
  user = await connect(api, await seedUser(api.auth));
  const created = await call(api, 'POST', '/v1/webhook-endpoints', { token: owner.accessToken, json: { url: 'https://8.8.8.8/hooks', event_types: ['webhook.test'] } });
  endpointId = created.body.id as string;
  eventId = (await call(api, 'POST', `/v1/webhook-endpoints/${endpointId}/test`, { token: owner.accessToken })).body.event_id as string;
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

describe('callers that are refused on every route', () => {
  test.each(ROUTES)('%s %s without a token is 401 invalid_token', async (...route) => {
    const answer = await request(undefined, route);
    expect([answer.status, answer.body.code]).toEqual([401, 'invalid_token']);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  test.each(ROUTES)('%s %s with a user\'s token from the code flow is 403 insufficient_scope', async (...route) => {
    const answer = await request(user.accessToken, route);
    expect([answer.status, answer.body.code]).toEqual([403, 'insufficient_scope']);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="webhooks:manage", resource_metadata="${api.url}/.well-known/oauth-protected-resource"`);
  });

  test.each(ROUTES)('%s %s with a client-credentials token without webhooks:manage is 403 insufficient_scope', async (...route) => {
    // The authorization server issues client-credentials tokens with webhooks:manage only (issue 17);
    // the API checks the scope all the same, on a token signed with its key.
    const [key] = await loadSigningKeys(api.auth.database.db, deriveSigningKeySealingKey(TEST_KEY_ENCRYPTION_SECRET)) as [PrivateJwk];
    const readOnly = await new SignJWT({ ...decodeJwt(owner.accessToken), scope: 'accounts:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(await importJWK(key, 'ES256'));
    const answer = await request(readOnly, route);
    expect([answer.status, answer.body.code]).toEqual([403, 'insufficient_scope']);
  });

  test('a user\'s token carrying webhooks:manage (which the authorization server never issues) is 403 all the same', async () => {
    const [key] = await loadSigningKeys(api.auth.database.db, deriveSigningKeySealingKey(TEST_KEY_ENCRYPTION_SECRET)) as [PrivateJwk];
    const forged = await new SignJWT({ ...decodeJwt(user.accessToken), scope: 'webhooks:manage' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(await importJWK(key, 'ES256'));
    for (const route of ROUTES) {
      const answer = await request(forged, route);
      expect([answer.status, answer.body.code]).toEqual([403, 'insufficient_scope']);
      expect(answer.body.detail).toMatch(/client-credentials token/);
    }
  });
});

describe('another client', () => {
  test.each(ROUTES_WITH_ID)('%s %s on the owner\'s endpoint or event is 404, as if absent', async (...route) => {
    const answer = await request(stranger.accessToken, route);
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe(route[1].includes('{event}') ? 'event_not_found' : 'webhook_endpoint_not_found');
  });

  test('lists neither the owner\'s endpoints nor its events, and changed nothing of them', async () => {
    expect((await call(api, 'GET', '/v1/webhook-endpoints', { token: stranger.accessToken })).body).toEqual({ data: [] });
    expect((await call(api, 'GET', '/v1/events', { token: stranger.accessToken })).body).toEqual({ data: [], next_cursor: null });
    const mine = await call(api, 'GET', `/v1/webhook-endpoints/${endpointId}`, { token: owner.accessToken });
    expect([mine.status, mine.body.status]).toEqual([200, 'enabled']);
    expect((await call(api, 'GET', `/v1/events/${eventId}`, { token: owner.accessToken })).body.type).toBe('webhook.test');
  });
});

describe('a revoked client-credentials token', () => {
  test('is 401 invalid_token at once on every route (RFC 7009)', async () => {
    const revoked = await connectClient(api);
    expect((await call(api, 'GET', '/v1/events', { token: revoked.accessToken })).status).toBe(200);
    await client.tokenRevocation(revoked.clientConfig, revoked.accessToken);
    for (const route of ROUTES) {
      const answer = await request(revoked.accessToken, route);
      expect([answer.status, answer.body.code, answer.body.detail]).toEqual([401, 'invalid_token', 'this access token has been revoked']);
    }
  });
});
