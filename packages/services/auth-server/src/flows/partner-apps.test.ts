import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createEndpoint, createSecretBox, listAuditEvents, listEndpoints } from '@payapi/events';
import * as client from 'openid-client';
import { isWellFormedClientSecret } from '../clients/client-secret-format.ts';
import { ClientInputError, createClient } from '../clients/create-client.ts';
import { deletePartnerApp } from '../clients/delete-partner-app.ts';
import { approveClient, createPartnerApp, getPartnerApp, updatePartnerAppRedirectUris } from '../clients/partner-apps.ts';
import { PENDING_REVIEW_MESSAGE } from '../clients/review-status.ts';
import {
  REDIRECT_URI, authorize, clientCredentialsOutcome, discover, discoverWithSecret, exchange, introspect, seedClient, seedUser, startTestAuthServer,
} from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

const PARTNER_SCOPES = 'openid offline_access accounts:read transactions:read transfers:write payments:write webhooks:manage';

let sandbox: TestAuthServer;
let live: TestAuthServer;
let alice: Alice;

beforeAll(async () => {
  [sandbox, live] = await Promise.all([startTestAuthServer(), startTestAuthServer({ PAYAPI_ENVIRONMENT: 'live' })]);
  alice = await seedUser(sandbox);
});
afterAll(async () => {
  await Promise.all([sandbox.close(), live.close()]);
});

/** The client-credentials outcome with this secret, as client_secret_basic and as client_secret_post. */
async function outcomes(server: TestAuthServer, clientId: string, secret: string): Promise<{ basic: string; post: string }> {
  const outcome = async (method: 'basic' | 'post'): Promise<string> => {
    const result = await clientCredentialsOutcome(await discoverWithSecret(server, clientId, secret, method));
    return 'error' in result ? result.error : 'token';
  };
  return { basic: await outcome('basic'), post: await outcome('post') };
}

/** Opens the authorization endpoint for `clientId` as a browser would, without following redirects. */
async function openAuthorization(server: TestAuthServer, clientId: string, redirectUri = REDIRECT_URI): Promise<Response> {
  const url = new URL('/auth', server.issuer);
  const params = { client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: redirectUri, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return fetch(url, { redirect: 'manual' });
}

describe('partner apps in sandbox', () => {
  test('createPartnerApp makes an approved confidential client with every partner scope and a sandbox secret', async () => {
    const app = await createPartnerApp(sandbox.database.db, { name: ' Budget Buddy ', redirectUris: [REDIRECT_URI], owner: 'dev_1' }, { environment: 'sandbox' });
    expect(app).toEqual({ clientId: expect.stringMatching(/^cl_[0-9a-f]{24}$/), clientSecret: expect.any(String), status: 'approved' });
    expect(isWellFormedClientSecret(app.clientSecret, 'sandbox')).toBe(true);
    expect(await getPartnerApp(sandbox.database.db, app.clientId)).toEqual({
      clientId: app.clientId, name: 'Budget Buddy', redirectUris: [REDIRECT_URI], status: 'approved',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/), owner: 'dev_1', previousSecretExpiresAt: null,
    });
    const { rows } = await sandbox.database.db.raw<{ rows: Array<{ payload: { grant_types: string[]; scope: string; token_endpoint_auth_method: string } }> }>(
      `SELECT payload FROM auth.oidc_store WHERE model = 'Client' AND id = ?`, [app.clientId]);
    expect(rows[0]?.payload).toMatchObject({
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], scope: PARTNER_SCOPES, token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(await outcomes(sandbox, app.clientId, app.clientSecret)).toEqual({ basic: 'token', post: 'token' });
    const config = await discoverWithSecret(sandbox, app.clientId, app.clientSecret);
    const tokens = await exchange(config, await authorize(sandbox, config, alice));
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
  });

  test('getPartnerApp knows only partner apps', async () => {
    const cliClient = await seedClient(sandbox);
    expect(await getPartnerApp(sandbox.database.db, cliClient.client_id)).toBeUndefined();
    expect(await getPartnerApp(sandbox.database.db, 'cl_unknown')).toBeUndefined();
    expect(await getPartnerApp(sandbox.database.db, '')).toBeUndefined();
  });

  test('createPartnerApp refuses input the registration policy refuses, with a message naming the problem', async () => {
    const base = { name: 'Sloppy', redirectUris: [REDIRECT_URI], owner: 'dev_1' };
    const cases: Array<[Partial<typeof base>, RegExp]> = [
      [{ redirectUris: ['http://partner.example/cb'] }, /must be https \(http only on localhost\): http:\/\/partner\.example\/cb/],
      [{ redirectUris: ['https://partner.example/cb#frag'] }, /fragment/],
      [{ redirectUris: ['/relative'] }, /not an absolute URL/],
      [{ redirectUris: [] }, /at least one redirect URI/],
      [{ redirectUris: Array.from({ length: 11 }, (_, index) => `https://partner.example/cb${index}`) }, /at most 10 redirect URIs/],
      [{ name: '   ' }, /name must be 1 to 100 printable characters/],
      [{ owner: '' }, /owner must be 1 to 255 characters/],
    ];
    for (const [change, message] of cases) {
      const refused = createPartnerApp(sandbox.database.db, { ...base, ...change }, { environment: 'sandbox' });
      await expect(refused).rejects.toThrow(ClientInputError);
      await expect(refused).rejects.toThrow(message);
    }
  });

  test('portal review: a redirect URI is refused unless written exactly as the URL parser writes it back (what is checked is what is stored)', async () => {
    const db = sandbox.database.db;
    const base = { name: 'Tricky', owner: 'dev_review' };
    const refused = [
      'http://localhost\\@evil.example/cb', // localhost to a browser, evil.example to an RFC 3986 parser, over http
      'https:\\\\evil.example\\cb',
      'http:localhost/cb',
      'https://partner.example/c b',
      'https://partner.example/\tcb',
      'https://partner.example/cb\rhttps://evil.example/',
      'HTTPS://partner.example/cb',
      'https://PARTNER.example/cb',
      'https://p\u0430rtner.example/cb', // Cyrillic a: stored in Unicode, checked as punycode
      'https://partner.example/\u202ecb',
      'https://@partner.example/cb',
      'http://127.1/cb',
      'http://LOCALHOST/cb',
      'https://partner.example',
    ];
    for (const uri of refused) {
      const attempt = createPartnerApp(db, { ...base, redirectUris: [uri] }, { environment: 'sandbox' });
      await expect(attempt).rejects.toThrow(ClientInputError);
      await expect(attempt).rejects.toThrow(/must be written in its normal form|must be https/);
    }
    await expect(createClient(db, { name: 'CLI', redirectUris: ['http://localhost\\@evil.example/cb'] })).rejects.toThrow(/normal form/);
    const app = await createPartnerApp(db, { ...base, redirectUris: ['https://partner.example/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/cb?x=1'] }, { environment: 'sandbox' });
    await expect(updatePartnerAppRedirectUris(db, app.clientId, ['https://partner.example/c b'])).rejects.toThrow(/normal form, https:\/\/partner\.example\/c%20b/);
    expect((await getPartnerApp(db, app.clientId))?.redirectUris).toEqual(['https://partner.example/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/cb?x=1']);
  });

  test('portal review: an app name with a bidirectional override or isolate is refused (it would misread on the consent page)', async () => {
    for (const name of ['Pay\u202eLapyaP', 'Bank \u2066Official\u2069', 'Tab\tName']) {
      const attempt = createPartnerApp(sandbox.database.db, { name, redirectUris: [REDIRECT_URI], owner: 'dev_review' }, { environment: 'sandbox' });
      await expect(attempt).rejects.toThrow(/name must be 1 to 100 printable characters/);
    }
  });

  test('updatePartnerAppRedirectUris replaces the redirect URIs, matched exactly from the next request on', async () => {
    const app = await createPartnerApp(sandbox.database.db, { name: 'Moving App', redirectUris: [REDIRECT_URI], owner: 'dev_2' }, { environment: 'sandbox' });
    expect((await openAuthorization(sandbox, app.clientId)).status).toBe(303);
    await updatePartnerAppRedirectUris(sandbox.database.db, app.clientId, ['https://moving.example/cb', 'http://localhost:3000/cb']);
    expect((await getPartnerApp(sandbox.database.db, app.clientId))?.redirectUris).toEqual(['https://moving.example/cb', 'http://localhost:3000/cb']);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the cache's notification
    const refused = await openAuthorization(sandbox, app.clientId);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/redirect_uri/);
    expect((await openAuthorization(sandbox, app.clientId, 'https://moving.example/cb')).status).toBe(303);
    await expect(updatePartnerAppRedirectUris(sandbox.database.db, app.clientId, ['http://moving.example/cb'])).rejects.toThrow(/https/);
    await expect(updatePartnerAppRedirectUris(sandbox.database.db, app.clientId, [])).rejects.toThrow(ClientInputError);
    await expect(updatePartnerAppRedirectUris(sandbox.database.db, 'cl_unknown', [REDIRECT_URI])).rejects.toThrow(/no partner app/);
    const cliClient = await seedClient(sandbox);
    await expect(updatePartnerAppRedirectUris(sandbox.database.db, cliClient.client_id, [REDIRECT_URI])).rejects.toThrow(/no partner app/);
  });
});

describe('partner apps in live: review', () => {
  test('a new app waits for review: invalid_client at the token endpoint and an error page at the authorization endpoint, until approved', async () => {
    const app = await createPartnerApp(live.database.db, { name: 'Live App', redirectUris: [REDIRECT_URI], owner: 'dev_live' }, { environment: 'live' });
    expect(app.status).toBe('pending_review');
    expect(isWellFormedClientSecret(app.clientSecret, 'live')).toBe(true);
    expect((await getPartnerApp(live.database.db, app.clientId))?.status).toBe('pending_review');
    expect(await outcomes(live, app.clientId, app.clientSecret)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
    const page = await openAuthorization(live, app.clientId);
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain(PENDING_REVIEW_MESSAGE);

    expect(await approveClient(live.database.db, app.clientId)).toEqual({ clientId: app.clientId, status: 'approved' });
    expect((await getPartnerApp(live.database.db, app.clientId))?.status).toBe('approved');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the cache's notification
    expect(await outcomes(live, app.clientId, app.clientSecret)).toEqual({ basic: 'token', post: 'token' });
    expect((await openAuthorization(live, app.clientId)).status).toBe(303);
    expect(await approveClient(live.database.db, app.clientId)).toEqual({ clientId: app.clientId, status: 'approved' });
  });

  test('clients made by the operator are approved at once; approving an unknown client is refused', async () => {
    const cliClient = await seedClient(live, { environment: 'live' });
    expect(isWellFormedClientSecret(cliClient.client_secret, 'live')).toBe(true);
    expect(await outcomes(live, cliClient.client_id, cliClient.client_secret as string)).toEqual({ basic: 'token', post: 'token' });
    expect(await approveClient(live.database.db, cliClient.client_id)).toEqual({ clientId: cliClient.client_id, status: 'approved' });
    await expect(approveClient(live.database.db, 'cl_unknown')).rejects.toThrow(ClientInputError);
  });
});

describe('deletePartnerApp', () => {
  test('revokes every grant and token of the app at once, reports each grant as revoked by the operator, and deletes its webhook endpoints', async () => {
    const db = sandbox.database.db;
    const resourceServer = await discover(sandbox, await seedClient(sandbox, { name: 'Resource API', redirectUris: [], resourceServer: true }));
    const app = await createPartnerApp(db, { name: 'Doomed App', redirectUris: [REDIRECT_URI], owner: 'dev_3' }, { environment: 'sandbox' });
    const config = await discoverWithSecret(sandbox, app.clientId, app.clientSecret);
    const userTokens = await exchange(config, await authorize(sandbox, config, alice));
    const clientTokens = await clientCredentialsOutcome(config, 'webhooks:manage');
    if (!('accessToken' in clientTokens)) throw new Error(`client credentials refused: ${clientTokens.error}`);
    await createEndpoint(db, { secrets: createSecretBox('partner-apps-test-webhook-secrets-key'), urlPolicy: { allowPrivateNetworks: true } },
      { clientId: app.clientId, url: 'http://127.0.0.1:9/hooks', eventTypes: ['grant.revoked'] });
    expect(await introspect(resourceServer, userTokens.access_token)).toMatchObject({ active: true });
    expect(await introspect(resourceServer, clientTokens.accessToken)).toMatchObject({ active: true });

    await deletePartnerApp(db, app.clientId);

    expect(await introspect(resourceServer, userTokens.access_token)).toEqual({ active: false });
    expect(await introspect(resourceServer, clientTokens.accessToken)).toEqual({ active: false });
    const { rows } = await db.raw<{ rows: Array<{ model: string }> }>(
      `SELECT model FROM auth.oidc_store WHERE payload->>'clientId' = ? OR (model = 'Client' AND id = ?)`, [app.clientId, app.clientId]);
    expect(rows.filter((row) => row.model !== 'Session' && row.model !== 'Interaction')).toEqual([]);
    const events = await listAuditEvents(db, { clientId: app.clientId, type: 'grant.revoked', limit: 10 });
    expect(events.map((event) => event.data)).toEqual([{ sub: alice.sub, reason: 'operator', revoked_at: expect.any(String) }]);
    expect(await listEndpoints(db, app.clientId)).toEqual([]);
    expect(await getPartnerApp(db, app.clientId)).toBeUndefined();
    expect(await outcomes(sandbox, app.clientId, app.clientSecret)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
    await expect(client.refreshTokenGrant(config, userTokens.refresh_token as string)).rejects.toThrow();
    await expect(deletePartnerApp(db, app.clientId)).rejects.toThrow(ClientInputError);
  });
});
