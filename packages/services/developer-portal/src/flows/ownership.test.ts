/**
 * Two developers: B can neither read nor change A's app, secret, endpoints, deliveries, request log
 * or test users, on any route, by guessing ids or by tampering with forms (issue 13, "Tests").
 * Every refusal is the same 404 as for an id that does not exist.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { getPartnerApp } from '@payapi/auth-server';
import { listDeliveries, listEndpoints } from '@payapi/events';
import { createApp, postFrom, valueAfter } from '../testing/app-steps.ts';
import type { CreatedApp } from '../testing/app-steps.ts';
import { csrfOf } from '../testing/portal-agent.ts';
import type { PortalAgent } from '../testing/portal-agent.ts';
import { startTestPortal } from '../testing/portal-harness.ts';
import type { TestPortal } from '../testing/portal-harness.ts';

let portal: TestPortal;
let a: PortalAgent;
let b: PortalAgent;
let appA: CreatedApp;
let appB: CreatedApp;
let endpointA: string;
let eventA: string;
let testUserA: string;

beforeAll(async () => {
  portal = await startTestPortal();
  a = (await portal.signUp()).agent;
  b = (await portal.signUp()).agent;
  appA = await createApp(a, 'A app', 'https://a.example/cb');
  appB = await createApp(b, 'B app', 'https://b.example/cb');
  await postFrom(a, appA.path, `${appA.path}/webhooks`, { url: 'http://127.0.0.1:9/a-hooks', event_types: ['webhook.test'] });
  endpointA = (await listEndpoints(portal.db, appA.clientId))[0]?.id as string;
  await postFrom(a, appA.path, `${appA.path}/webhooks/${endpointA}/test`);
  eventA = (await listDeliveries(portal.db, { clientId: appA.clientId, endpointId: endpointA })).data[0]?.event_id as string;
  await portal.db.raw(`INSERT INTO api.request_log (client_id, requested_at, method, path, status, duration_ms, request_id)
                       VALUES (?, now(), 'POST', '/v1/transfers/of-a', 201, 3, 'request-of-a')`, [appA.clientId]);
  await postFrom(a, '/test-users', '/test-users');
  testUserA = valueAfter((await a.get('/test-users')).html, 'Username') as string;
});
afterAll(async () => {
  await portal.close();
});

/** B's own CSRF token, valid for B's session: the forms below are well-formed apart from the ids. */
async function tokenOfB(): Promise<string> {
  return csrfOf((await b.get(appB.path)).html);
}

async function deliveriesOfA(): Promise<number> {
  return (await listDeliveries(portal.db, { clientId: appA.clientId, endpointId: endpointA })).data.length;
}

describe('B and A\'s app', () => {
  test('B\'s list does not show A\'s app', async () => {
    const list = await b.get('/apps');
    expect(list.html).toContain(appB.clientId);
    expect(list.html).not.toContain(appA.clientId);
  });

  test('GET A\'s app page: 404, nothing of A shown', async () => {
    const page = await b.get(appA.path);
    expect(page.status).toBe(404);
    expect(page.html).not.toContain(appA.clientId);
    expect(page.html).not.toContain('request-of-a');
  });

  test('B\'s own page shows none of A\'s endpoints, deliveries or requests', async () => {
    const page = await b.get(appB.path);
    for (const text of [endpointA, eventA, 'a-hooks', 'request-of-a', appA.clientId]) expect(page.html).not.toContain(text);
  });

  test('POST Save on A\'s app: 404, redirect URIs unchanged', async () => {
    const answer = await b.post(`${appA.path}/redirect-uris`, { csrf: await tokenOfB(), redirect_uris: 'https://evil.example/cb' });
    expect(answer.status).toBe(404);
    expect((await getPartnerApp(portal.db, appA.clientId))?.redirectUris).toEqual(['https://a.example/cb']);
  });

  test('POST Rotate secret on A\'s app: 404, no secret shown or carried', async () => {
    const answer = await b.post(`${appA.path}/secret`, { csrf: await tokenOfB() });
    expect(answer.status).toBe(404);
    expect(answer.html).not.toMatch(/sk_sandbox_/);
    expect(answer.headers.getSetCookie().some((line) => line.startsWith('portal_once='))).toBe(false);
  });

  test('POST Revoke previous secret on A\'s app: 404, A\'s previous secret still works', async () => {
    await postFrom(a, appA.path, `${appA.path}/secret`);
    const until = (await getPartnerApp(portal.db, appA.clientId))?.previousSecretExpiresAt;
    expect(until).not.toBeNull();
    expect((await b.post(`${appA.path}/secret/revoke-previous`, { csrf: await tokenOfB() })).status).toBe(404);
    expect((await getPartnerApp(portal.db, appA.clientId))?.previousSecretExpiresAt).toBe(until);
  });

  test('GET Delete app\'s confirmation page of A\'s app: 404, nothing of A shown', async () => {
    const page = await b.get(`${appA.path}/delete`);
    expect(page.status).toBe(404);
    expect(page.html).not.toContain('A app');
  });

  test('POST Delete app on A\'s app, confirmed or not: 404, the app still there', async () => {
    for (const form of [{}, { confirm: 'yes' }] as Array<Record<string, string>>) expect((await b.post(`${appA.path}/delete`, { csrf: await tokenOfB(), ...form })).status).toBe(404);
    expect(await getPartnerApp(portal.db, appA.clientId)).toBeDefined();
    expect((await a.get(appA.path)).status).toBe(200);
  });

  test('POST Add endpoint on A\'s app: 404, no endpoint added', async () => {
    const answer = await b.post(`${appA.path}/webhooks`, { csrf: await tokenOfB(), url: 'http://127.0.0.1:9/b', event_types: 'webhook.test' });
    expect(answer.status).toBe(404);
    expect(await listEndpoints(portal.db, appA.clientId)).toHaveLength(1);
  });

  test('POST Send test event to A\'s endpoint, under A\'s app id or under B\'s own: 404, nothing sent', async () => {
    const before = await deliveriesOfA();
    const csrf = await tokenOfB();
    for (const app of [appA, appB]) expect((await b.post(`${app.path}/webhooks/${endpointA}/test`, { csrf })).status).toBe(404);
    expect(await deliveriesOfA()).toBe(before);
  });

  test('Delete endpoint on A\'s endpoint, under either app id, its confirmation page or the confirmed form: 404, the endpoint still there', async () => {
    const csrf = await tokenOfB();
    for (const app of [appA, appB]) {
      expect((await b.get(`${app.path}/webhooks/${endpointA}/delete`)).status).toBe(404);
      for (const form of [{}, { confirm: 'yes' }] as Array<Record<string, string>>) expect((await b.post(`${app.path}/webhooks/${endpointA}/delete`, { csrf, ...form })).status).toBe(404);
    }
    expect(await listEndpoints(portal.db, appA.clientId)).toHaveLength(1);
  });

  test('POST Redeliver of A\'s event, under either app id: 404, nothing queued', async () => {
    const before = await deliveriesOfA();
    const csrf = await tokenOfB();
    for (const app of [appA, appB]) expect((await b.post(`${app.path}/events/${eventA}/redeliver`, { csrf })).status).toBe(404);
    expect(await deliveriesOfA()).toBe(before);
  });

  test('A\'s CSRF token does not work in B\'s session (and B\'s not in A\'s)', async () => {
    const tokenOfA = csrfOf((await a.get(appA.path)).html);
    expect((await b.post(`${appB.path}/secret`, { csrf: tokenOfA })).status).toBe(403);
    expect((await a.post(`${appA.path}/secret`, { csrf: await tokenOfB() })).status).toBe(403);
  });

  test('A\'s one-time secret cookie replayed in B\'s browser shows nothing', async () => {
    const rotated = await postFrom(a, appA.path, `${appA.path}/secret`);
    const sealed = rotated.headers.getSetCookie().find((line) => line.startsWith('portal_once='))?.split(';')[0]?.slice('portal_once='.length);
    expect(sealed).toBeDefined();
    b.cookies.set('portal_once', sealed as string);
    const page = await b.get(appB.path);
    expect(page.html).not.toMatch(/sk_sandbox_/);
    expect((await b.get(appA.path)).status).toBe(404);
  });
});

describe('B and A\'s test users', () => {
  test('B\'s test users page lists none of A\'s', async () => {
    const page = await b.get('/test-users');
    expect(page.status).toBe(200);
    expect(page.html).not.toContain(testUserA);
  });
});
