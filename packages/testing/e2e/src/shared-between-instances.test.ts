/**
 * Issue 15, "what must be shared between instances": two authorization servers behind one issuer
 * URL and resource API instances, each with its own memory, pools and Redis client, on one
 * PostgreSQL and one Redis (the real ones), as deploy/cluster/ runs them. Each test shows one piece
 * of state crossing from one instance to the other: DPoP proof uses, rate-limit counters, login
 * throttling, revocations, the client cache, signing keys; and what an instance does while its
 * Redis is away (docs/operations.md, "Shared state").
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { deriveSigningKeySealingKey, createSigningKey, rotateClientSecret } from '@payapi/auth-server';
import { REDIRECT_URI, UserAgent, authorize, clientCredentialsOutcome, discover, discoverWithSecret, exchange, seedClient, seedUser } from '@payapi/auth-server/testing';
import type { Alice } from '@payapi/auth-server/testing';
import { createAuthTestDatabase } from '@payapi/auth-server/testing';
import { TEST_REDIS_URL, createTestRedis, startTcpRelay } from '@payapi/platform/testing';
import type { TcpRelay, TestDatabase, TestRedis } from '@payapi/platform/testing';
import { migrateResourceApi } from '@payapi/resource-api';
import type { ResourceApiConfig } from '@payapi/resource-api';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import * as client from 'openid-client';
import { startApiInstance, startAuthInstance, startSwitch } from './two-instances.ts';
import type { ApiInstance, AuthInstance, Switch } from './two-instances.ts';

const KEY_ENCRYPTION_SECRET = 'shared-between-instances-key-encryption-secret-0123';

let database: TestDatabase;
let redis: TestRedis;
let issuerSwitch: Switch;
let apiSwitch: Switch;
let authA: AuthInstance;
let authB: AuthInstance;
let api1: ApiInstance;
let api2: ApiInstance;
/** Instance 2's Redis is reached through this relay, so one test can take Redis away from it alone. */
let relay: TcpRelay;
let apiEnv: Record<string, string>;
let alice: Alice;

beforeAll(async () => {
  database = await createAuthTestDatabase();
  await migrateResourceApi(database.db);
  redis = await createTestRedis();
  issuerSwitch = await startSwitch();
  apiSwitch = await startSwitch();
  const authEnv = {
    AUTH_ISSUER: issuerSwitch.url, RESOURCE_API_URL: apiSwitch.url, DATABASE_URL: database.url, LOG_LEVEL: 'silent',
    AUTH_COOKIE_KEYS: 'shared-between-instances-cookie-key-0123456789', AUTH_KEY_ENCRYPTION_SECRET: KEY_ENCRYPTION_SECRET,
  };
  authA = await startAuthInstance(authEnv, database);
  authB = await startAuthInstance(authEnv, database);
  issuerSwitch.route(authA.url);
  const target = new URL(TEST_REDIS_URL);
  relay = await startTcpRelay(target.hostname, Number(target.port || 6379));
  const relayed = new URL(TEST_REDIS_URL);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(relay.port);
  apiEnv = {
    RESOURCE_API_URL: apiSwitch.url, AUTH_ISSUER: issuerSwitch.url, DATABASE_URL: database.url, LOG_LEVEL: 'silent',
    REDIS_URL: redis.settings.url, REDIS_KEY_PREFIX: redis.settings.keyPrefix, RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1000',
  };
  // A new kid is fetched at most once per cooldown (5 s as deployed); 200 ms here, so the key test need not wait.
  const quickJwks = (config: ResourceApiConfig): ResourceApiConfig => ({ ...config, jwks: { ...config.jwks, cooldownMs: 200 } });
  api1 = await startApiInstance(apiEnv, quickJwks);
  api2 = await startApiInstance({ ...apiEnv, REDIS_URL: relayed.toString() }, quickJwks);
  apiSwitch.route(api1.url);
  alice = await seedUser(authA.asTestServer);
}, 60_000);

afterAll(async () => {
  for (const instance of [api1, api2, authA, authB]) await instance?.close();
  await relay?.close();
  await issuerSwitch?.close();
  await apiSwitch?.close();
  await redis?.drop();
  await database?.drop();
});

/** A user's access token from the real code flow through the issuer switch (instance A unless routed elsewhere). */
async function userToken(options: { dpop?: client.DPoPHandle; keyPair?: { privateKey: CryptoKey; publicKey: CryptoKey } } = {}) {
  const registered = await seedClient(authA.asTestServer);
  const config = await discover(authA.asTestServer, registered);
  const dpop = options.keyPair ? client.getDPoPHandle(config, options.keyPair) : undefined;
  const flow = await authorize(authA.asTestServer, config, alice);
  const tokens = await exchange(config, flow, dpop);
  return { accessToken: tokens.access_token, config, registered };
}

async function get(instance: ApiInstance, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${instance.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
}

/** Polls `check` every 20 ms until it is true or `limitMs` passed; resolves how long it took, or rejects. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('DPoP proof replay (RFC 9449 §11.1), on Redis', () => {
  let keyPair: { privateKey: CryptoKey; publicKey: CryptoKey };
  let publicJwk: JWK;
  let token: string;

  beforeAll(async () => {
    keyPair = await generateKeyPair('ES256', { extractable: true });
    publicJwk = await exportJWK(keyPair.publicKey);
    token = (await userToken({ keyPair })).accessToken;
  });

  const proof = (): Promise<string> => new SignJWT({
    jti: randomUUID(), htm: 'GET', htu: `${apiSwitch.url}/v1/accounts`, iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(token).digest('base64url'),
  }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk }).sign(keyPair.privateKey);

  test('a proof used on instance 1 is refused on instance 2 (401 invalid_dpop_proof, already used); a fresh one is served there', async () => {
    const used = await proof();
    expect((await get(api1, '/v1/accounts', { authorization: `DPoP ${token}`, dpop: used })).status).toBe(200);
    const replayed = await get(api2, '/v1/accounts', { authorization: `DPoP ${token}`, dpop: used });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="the DPoP proof was already used"/);
    expect(replayed.body).toMatchObject({ code: 'invalid_dpop_proof', detail: 'the DPoP proof was already used' });
    expect((await get(api2, '/v1/accounts', { authorization: `DPoP ${token}`, dpop: await proof() })).status).toBe(200);
  });

  test('while instance 2\'s Redis is away, it refuses DPoP proofs (503, fail closed) but serves Bearer calls, counted in its memory; back to normal once Redis is', async () => {
    const bearer = (await userToken()).accessToken;
    await relay.cut();
    try {
      const refused = await get(api2, '/v1/accounts', { authorization: `DPoP ${token}`, dpop: await proof() });
      expect([refused.status, refused.body.code, refused.headers.get('retry-after')]).toEqual([503, 'temporarily_unavailable', '5']);
      expect(refused.body.detail).toBe('DPoP proofs cannot be checked for replay right now; try again shortly with a new proof');
      const served = await get(api2, '/v1/accounts', { authorization: `Bearer ${bearer}` });
      expect(served.status).toBe(200);
      expect(served.headers.get('ratelimit')).toMatch(/^"per-client";r=999;t=(59|60)$/);
      // Instance 1 (Redis reachable) goes on as usual.
      expect((await get(api1, '/v1/accounts', { authorization: `DPoP ${token}`, dpop: await proof() })).status).toBe(200);
    } finally {
      await relay.restore();
    }
    await within(10_000, async () => api2.redis.status === 'ready');
    expect((await get(api2, '/v1/accounts', { authorization: `DPoP ${token}`, dpop: await proof() })).status).toBe(200);
  });
});

describe('rate limits, on Redis', () => {
  let limited1: ApiInstance;
  let limited2: ApiInstance;
  beforeAll(async () => {
    limited1 = await startApiInstance({ ...apiEnv, RATE_LIMIT_PER_MINUTE: '5' });
    limited2 = await startApiInstance({ ...apiEnv, RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(async () => {
    await limited1?.close();
    await limited2?.close();
  });

  test('are counted across instances: 3 calls on one and 2 on the other use the quota of 5, counting r down; the 6th on either is 429', async () => {
    const { accessToken } = await userToken();
    const authorization = { authorization: `Bearer ${accessToken}` };
    const order = [limited1, limited2, limited1, limited2, limited1];
    const answers = [];
    for (const instance of order) answers.push(await get(instance, '/v1/accounts', authorization));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((answer) => answer.headers.get('ratelimit-policy'))).toEqual(Array(5).fill('"per-client";q=5;w=60'));
    expect(answers.map((answer) => /;r=([0-9]+);/.exec(answer.headers.get('ratelimit') ?? '')?.[1])).toEqual(['4', '3', '2', '1', '0']);
    for (const instance of [limited1, limited2]) {
      const refused = await get(instance, '/v1/accounts', authorization);
      expect([refused.status, refused.body.code]).toEqual([429, 'rate_limited']);
      const t = /^"per-client";r=0;t=([0-9]+)$/.exec(refused.headers.get('ratelimit') ?? '')?.[1];
      expect(refused.headers.get('retry-after')).toBe(t);
      expect(Number(t)).toBeGreaterThanOrEqual(1);
      expect(Number(t)).toBeLessThanOrEqual(60);
    }
    // The counter is one key in Redis under the deployment's prefix, not one per instance.
    const clientId = (decodeJwt(accessToken) as { client_id: string }).client_id;
    expect((await redis.keys()).filter((key) => key.endsWith(`ratelimit:per-client:${clientId}`))).toEqual([`${redis.settings.keyPrefix}ratelimit:per-client:${clientId}`]);
  });
});

describe('login throttling (PostgreSQL)', () => {
  test('failures on authorization server A count on B: after 5 wrong passwords through A, B refuses the 6th (429), right password or not', async () => {
    const config = await discover(authA.asTestServer, await seedClient(authA.asTestServer));
    const carol = await seedUser(authA.asTestServer, 'carol', 'carol-right-password');
    issuerSwitch.route(authA.url);
    try {
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid accounts:read', state: 'st', prompt: 'consent',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      const agent = new UserAgent();
      const step = await agent.follow(url.toString(), issuerSwitch.url);
      const action = new URL(`${new URL(step.url).pathname}/login`, issuerSwitch.url).toString();
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        expect((await agent.request(action, { form: { username: carol.username, password: `wrong-password-${attempt}` } })).status).toBe(200);
      }
      issuerSwitch.route(authB.url);
      const refused = await agent.request(action, { form: { username: carol.username, password: carol.password } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800);
      expect(await refused.text()).toContain('Too many sign-in attempts.');
    } finally {
      issuerSwitch.route(authA.url);
    }
  });
});

describe('revocation (LISTEN/NOTIFY)', () => {
  test('a token revoked once (RFC 7009, through A) is refused by both API instances within 1 s', async () => {
    const { accessToken, config } = await userToken();
    const authorization = { authorization: `Bearer ${accessToken}` };
    expect([(await get(api1, '/v1/accounts', authorization)).status, (await get(api2, '/v1/accounts', authorization)).status]).toEqual([200, 200]);
    expect([api1.revocations.listening, api2.revocations.listening]).toEqual([true, true]);
    await client.tokenRevocation(config, accessToken);
    const tookMs = await within(5_000, async () => (await get(api1, '/v1/accounts', authorization)).status === 401
      && (await get(api2, '/v1/accounts', authorization)).status === 401);
    expect(tookMs).toBeLessThan(1_000);
    const refused = await get(api2, '/v1/accounts', authorization);
    expect(refused.headers.get('www-authenticate')).toMatch(/error_description="the grant or consent behind this access token has been revoked"/);
  });
});

describe('the client cache (NOTIFY auth_client_changed)', () => {
  test('a secret ended through one server is refused by both at once, although both had the client cached', async () => {
    const registered = await seedClient(authA.asTestServer);
    const oldSecret = registered.client_secret as string;
    const outcome = async (instance: AuthInstance, secret: string): Promise<string> => {
      issuerSwitch.route(instance.url);
      const result = await clientCredentialsOutcome(await discoverWithSecret(authA.asTestServer, registered.client_id, secret));
      return 'error' in result ? result.error : 'token';
    };
    try {
      // Both servers read the client (and its secret hashes) once, and keep them in their caches.
      expect([await outcome(authA, oldSecret), await outcome(authB, oldSecret)]).toEqual(['token', 'token']);
      const { clientSecret } = await rotateClientSecret(database.db, registered.client_id, { overlapSeconds: 0 });
      await within(5_000, async () => (await outcome(authA, oldSecret)) === 'invalid_client' && (await outcome(authB, oldSecret)) === 'invalid_client');
      expect([await outcome(authA, clientSecret), await outcome(authB, clientSecret)]).toEqual(['token', 'token']);
    } finally {
      issuerSwitch.route(authA.url);
    }
  });
});

describe('signing-key rotation', () => {
  test('a key created through instance A (keys:rotate) signs tokens that both API instances accept once B publishes it too', async () => {
    const { kid } = await createSigningKey(database.db, deriveSigningKeySealingKey(KEY_ENCRYPTION_SECRET));
    // What each server's reload timer does (every 10 s): A first, and A signs with the new key.
    expect(await authA.auth.reloadKeys()).toBe(true);
    issuerSwitch.route(authA.url);
    const registered = await seedClient(authA.asTestServer);
    const result = await clientCredentialsOutcome(await discover(authA.asTestServer, registered));
    if (!('accessToken' in result)) throw new Error(`no token: ${result.error}`);
    expect(decodeProtectedHeader(result.accessToken).kid).toBe(kid);
    // The APIs fetch the JWKS from the issuer URL, which now reaches B alone: B publishes the key
    // after its own reload, and from then on both API instances accept the token.
    issuerSwitch.route(authB.url);
    try {
      await authB.auth.reloadKeys();
      const jwks = (await (await fetch(`${issuerSwitch.url}/jwks`)).json()) as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((key) => key.kid)).toContain(kid);
      const authorization = { authorization: `Bearer ${result.accessToken}` };
      await within(5_000, async () => (await get(api1, '/v1/webhook-endpoints', authorization)).status === 200
        && (await get(api2, '/v1/webhook-endpoints', authorization)).status === 200);
    } finally {
      issuerSwitch.route(authA.url);
    }
  });
});
