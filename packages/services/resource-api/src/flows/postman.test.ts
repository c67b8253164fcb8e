/**
 * Issue 17: the Postman collection could not work. Its OAuth settings named the token endpoint as
 * the redirect URI, without PKCE or a client id; it had no token variable, fixed example ids and
 * `cursor=string`, so all of its requests answered 401 even with a valid token. Checked here on the
 * served `/postman.json` (made by openapi-to-postmanv2 from the OpenAPI document), then run by
 * Postman's own runner, newman, against running services with only what a partner has.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import * as client from 'openid-client';
import { PARTNER_VARIABLES } from '../docs/postman-partner.ts';
import type { PostmanCollection, PostmanItem } from '../docs/postman-partner.ts';
import { authorize, call, discover, exchange, seedClient, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, TestApi } from '../testing/index.ts';

const NEWMAN = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'newman');

let api: TestApi;
let alice: Alice;
let bob: Alice;
let collection: PostmanCollection;

beforeAll(async () => {
  // Webhook endpoints on loopback, as in demo mode: the partner's receiver is the test's.
  api = await startTestApi(undefined, { webhookUrlPolicy: { allowPrivateNetworks: true } });
  alice = await seedUser(api.auth);
  bob = await seedUser(api.auth, 'bob', 'builder-password');
  collection = (await call(api, 'GET', '/postman.json')).body as PostmanCollection;
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** Every request of the collection, in the order a runner sends them. */
function requests(items: PostmanItem[]): PostmanItem[] {
  return items.flatMap((item) => (item.item ? requests(item.item) : [item]));
}

const setting = (auth: PostmanCollection['auth'], key: string): unknown => auth?.oauth2?.find((entry) => entry.key === key)?.value;

describe('GET /postman.json', () => {
  test('OAuth settings that work: PKCE S256, the client\'s own id and redirect URI as variables, a token variable', () => {
    expect(setting(collection.auth, 'grant_type')).toBe('authorization_code_with_pkce');
    expect(setting(collection.auth, 'challengeAlgorithm')).toBe('S256');
    expect(setting(collection.auth, 'authUrl')).toBe(`${api.auth.issuer}/auth`);
    expect(setting(collection.auth, 'accessTokenUrl')).toBe(`${api.auth.issuer}/token`);
    // Not the token endpoint (what the converter wrote there from refreshUrl).
    expect(setting(collection.auth, 'redirect_uri')).toBe('{{redirectUri}}');
    expect(setting(collection.auth, 'clientId')).toBe('{{clientId}}');
    expect(setting(collection.auth, 'accessToken')).toBe('{{accessToken}}');
    expect(setting(collection.auth, 'scope')).toBe('openid accounts:read transactions:read transfers:write payments:write');
    expect(JSON.stringify(collection)).not.toContain(`"value":"${api.auth.issuer}/token","key":"redirect_uri"`);
  });

  test('no fixed example ids, no made-up query values, every variable declared', () => {
    const all = requests(collection.item);
    expect(all).toHaveLength(20);
    const sent = JSON.stringify(all.map((item) => item.request));
    expect(sent).not.toMatch(/\b(acc|tr|pay|pc|we|evt|dlv)_[0-9a-f]{32}\b/);
    // Values made up from the schemas (`cursor=string`, `<string>` in bodies).
    expect(sent.match(/<[a-z-]+(,[a-z-]+)*>|"value":"string"/g)).toBeNull();
    for (const item of all) {
      for (const parameter of item.request?.url.query ?? []) expect([item.name, parameter.key, parameter.disabled]).toEqual([item.name, parameter.key, true]);
      const idempotencyKey = item.request?.header?.find((header) => header.key === 'Idempotency-Key');
      if (idempotencyKey) expect(idempotencyKey.value).toBe('{{$guid}}');
    }
    const declared = new Set((collection.variable ?? []).map((variable) => variable.key));
    const used = [...JSON.stringify(collection).matchAll(/\{\{([^}]+)\}\}/g)].map((match) => match[1] as string);
    expect(used.filter((name) => !name.startsWith('$') && !declared.has(name))).toEqual([]);
    expect([...declared]).toEqual(expect.arrayContaining(Object.keys(PARTNER_VARIABLES)));
  });

  test('the client\'s own routes use its client-credentials token, every other route the user\'s', () => {
    for (const item of requests(collection.item)) {
      const path = item.request?.url.path.join('/') ?? '';
      if (/^v1\/(webhook-endpoints|events)/.test(path)) {
        expect([path, setting(item.request?.auth, 'grant_type'), setting(item.request?.auth, 'accessToken')]).toEqual([path, 'client_credentials', '{{clientAccessToken}}']);
        expect(setting(item.request?.auth, 'scope')).toBe('webhooks:manage');
      } else {
        expect([path, item.request?.auth]).toEqual([path, undefined]);
      }
    }
  });
});

describe('newman runs the served collection', () => {
  test('with only what a partner has, every request answers 2xx', async () => {
    // What a partner has: a user's token from the code flow with PKCE (accounts, history, transfers
    // and one payment the user authorised), its client's own token, ids from those answers.
    const registered = await seedClient(api.auth);
    const config = await discover(api.auth, registered);
    const payment = { type: 'payment_initiation', instructed_amount: { amount: '12.50', currency: 'CNY' }, creditor_account: { account_id: bob.accounts[0]!.id } };
    const flow = await authorize(api.auth, config, alice, {
      scope: 'openid accounts:read transactions:read transfers:write payments:write',
      extra: { authorization_details: JSON.stringify([payment]) }, keepConsentPage: true,
    });
    const allowed = await flow.agent.request(flow.consentPage!.confirm, {
      form: { account_ids: [alice.accounts[0]!.id, alice.accounts[1]!.id], debtor_account_id: alice.accounts[0]!.id },
    });
    const callback = await flow.agent.follow(new URL(allowed.headers.get('location') as string, api.auth.issuer).toString(), api.auth.issuer);
    const tokens = await exchange(config, { ...flow, callbackUrl: new URL(callback.url) });
    const consentId = (tokens.authorization_details?.[0] as unknown as { consent_id: string }).consent_id;
    const clientToken = (await client.clientCredentialsGrant(config, { scope: 'webhooks:manage' })).access_token;

    const folder = await mkdtemp(join(tmpdir(), 'payapi-newman-'));
    try {
      const report = join(folder, 'report.json');
      const envVars = {
        baseUrl: api.url, accessToken: tokens.access_token, clientAccessToken: clientToken,
        accountId: alice.accounts[0]!.id, destinationAccountId: bob.accounts[0]!.id, consentId, webhookUrl: 'http://127.0.0.1:9/hooks',
      };
      const args = ['run', `${api.url}/postman.json`, ...Object.entries(envVars).flatMap(([key, value]) => ['--env-var', `${key}=${value}`]),
        '--reporters', 'json', '--reporter-json-export', report, '--timeout-request', '10000'];
      // newman exits 1 when a request's test (the collection's "answers 2xx") fails; the report says which.
      await promisify(execFile)(NEWMAN, args, { maxBuffer: 16 * 1024 * 1024 }).catch(() => undefined);
      const run = (JSON.parse(await readFile(report, 'utf8')) as {
        run: { executions: Array<{ item: { name: string }; response?: { code: number }; requestError?: unknown }>; failures: unknown[] };
      }).run;
      const answered = run.executions.map((execution) => `${execution.item.name}: ${execution.response?.code ?? String(execution.requestError)}`);
      expect(answered).toHaveLength(20);
      expect(answered.filter((line) => !/: 2\d\d$/.test(line))).toEqual([]);
      expect(run.failures).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
