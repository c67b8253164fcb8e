/**
 * Fault 4 (docs/testing.md): a storm of bad access tokens against the real resource API process (random
 * `kid`s, unknown keys, `alg: none`, HMAC with the public key, expired and wrong-audience tokens
 * signed with the real key, garbage). Every one must be refused with 401 and
 * `WWW-Authenticate: Bearer error="invalid_token"`, and the API must fetch the authorization
 * server's JWKS a bounded number of times (its cooldown: one fetch per 5 s at most).
 *
 * The fetches are counted by a forward proxy the API process sends its outgoing requests through
 * (`NODE_USE_ENV_PROXY=1`, `HTTP_PROXY`): the process and its configuration are the production
 * ones, `AUTH_ISSUER` included, so `iss` checks are untouched. The in-process test
 * (resource-api/src/flows/token-attacks.test.ts) checks each attack's reason; this one checks the
 * volume on the real processes and counts what actually leaves the process.
 */
import { Agent } from 'node:http';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { deriveSigningKeySealingKey } from '@payapi/auth-server';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { loadSigningKeys } from '@payapi/auth-server';
import type { PrivateJwk } from '@payapi/auth-server';
import { startCountingProxy } from '../support/counting-proxy.ts';
import type { CountingProxy } from '../support/counting-proxy.ts';
import { startFaultSystem } from '../support/fault-system.ts';
import type { FaultSystem } from '../support/fault-system.ts';
import { histogram, maxMs, quantileMs, recordFigures } from '../support/figures.ts';
import { pick } from '../support/form.ts';
import { apiCall, jsonOf } from '../support/http.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import pMap from 'p-map';
import { STORM_KINDS, stormTokenMaker } from './storm-tokens.ts';
import type { StormKind } from './storm-tokens.ts';

/** The full form keeps the storm going (the same tokens again) until it has lasted `minStormMs`: several cooldowns. */
const SHAPE = pick({ requests: 1_000, concurrency: 16, minStormMs: 0 }, { requests: 10_000, concurrency: 32, minStormMs: 30_000 });
/** The API's JWKS cooldown (resource-api config `jwks.cooldownMs`): at most one fetch per this long. */
const JWKS_COOLDOWN_MS = 5_000;

let database: TestDatabase;
let proxy: CountingProxy;
let faults: FaultSystem;
let realKey: PrivateJwk;

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await startCountingProxy();
  faults = await startFaultSystem({
    databaseUrl: database.url, users: 1, accountsPerUser: 1, openingBalanceMinor: 10_000n,
    env: { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxy.url, NO_PROXY: '' },
  });
  const secret = faults.system.env['auth-server'].AUTH_KEY_ENCRYPTION_SECRET as string;
  [realKey] = await loadSigningKeys(faults.db, deriveSigningKeySealingKey(secret)) as [PrivateJwk];
}, 60_000);

afterAll(async () => {
  await faults?.stop();
  await proxy?.close();
  await database?.drop();
});

describe('a storm of bad access tokens', () => {
  test(`${SHAPE.requests}${SHAPE.minStormMs > 0 ? `+ requests over ${SHAPE.minStormMs / 1000} s` : ' requests'}: every one 401 invalid_token, the JWKS fetched at most once per cooldown`, async () => {
    const realToken = await faults.token(0);
    const accountId = faults.accounts[0]?.id as string;
    const maker = await stormTokenMaker(realToken, realKey);

    // The real token works, through one JWKS fetch (through the proxy: the counting is real).
    const warmAt = performance.now();
    const warm = await apiCall(faults.system.api.url, 'GET', `/v1/accounts/${accountId}/balance`, { token: realToken });
    expect(warm.status).toBe(200);
    const fetchesBefore = proxy.count('/jwks');
    expect(fetchesBefore).toBe(1);

    const plan: StormKind[] = Array.from({ length: SHAPE.requests }, () => STORM_KINDS[randomInt(STORM_KINDS.length)] as StormKind);
    const tokens = await Promise.all(plan.map((kind) => maker.make(kind)));
    // Past the cooldown of that fetch, so the storm's first unknown kid may fetch again, as after a key rotation.
    await sleep(Math.max(0, JWKS_COOLDOWN_MS + 100 - (performance.now() - warmAt)));
    const agent = new Agent({ keepAlive: true, maxSockets: SHAPE.concurrency });
    const paths = ['/v1/accounts', `/v1/accounts/${accountId}/balance`, `/v1/accounts/${accountId}/transactions`, '/v1/transfers/tr_00000000000000000000000000000000'];
    const startedAt = performance.now();
    const answers: Array<{ kind: StormKind; status: number; challenge: string; code: string | undefined; ms: number }> = [];
    while (answers.length < SHAPE.requests || performance.now() - startedAt < SHAPE.minStormMs) {
      answers.push(...await pMap(plan, async (kind, index) => {
        const response = await apiCall(faults.system.api.url, 'GET', paths[index % paths.length] as string, { token: tokens[index], agent, timeoutMs: 10_000 });
        const challenge = [response.headers['www-authenticate'] ?? []].flat().join(', ');
        return { kind, status: response.status, challenge, code: (jsonOf(response) as { code?: string } | undefined)?.code, ms: response.durationMs };
      }, { concurrency: SHAPE.concurrency }));
    }
    const stormMs = performance.now() - startedAt;
    agent.destroy();
    const fetchesDuring = proxy.count('/jwks') - fetchesBefore;

    // After the storm the real token still works.
    const after = await apiCall(faults.system.api.url, 'GET', `/v1/accounts/${accountId}/balance`, { token: realToken });
    const allowedFetches = Math.ceil(stormMs / JWKS_COOLDOWN_MS) + 1;
    recordFigures('token-storm', {
      requests: answers.length, distinctTokens: tokens.length, concurrency: SHAPE.concurrency, stormMs: Math.round(stormMs),
      requestsPerSecond: Math.round(answers.length / (stormMs / 1000)), p50Ms: quantileMs(answers.map((answer) => answer.ms), 0.5),
      slowestMs: maxMs(answers.map((answer) => answer.ms)), kinds: histogram(answers.map((answer) => answer.kind)), statuses: histogram(answers.map((answer) => answer.status)),
      jwksFetchesBeforeStorm: fetchesBefore, jwksFetchesDuringStorm: fetchesDuring, jwksFetchesAllowed: allowedFetches,
      proxiedPaths: histogram(proxy.paths()),
    });

    expect(answers.filter((answer) => answer.status !== 401 || answer.code !== 'invalid_token' || !/^Bearer error="invalid_token"/.test(answer.challenge))).toEqual([]);
    // Unknown kids make the API look again (a rotated key must be found), but once per cooldown at most.
    expect(fetchesDuring).toBeGreaterThanOrEqual(1);
    expect(fetchesDuring).toBeLessThanOrEqual(allowedFetches);
    expect(after.status).toBe(200);
    expect(proxy.paths().filter((path) => path !== '/jwks')).toEqual([]);
  }, pick(60_000, 300_000));
});
