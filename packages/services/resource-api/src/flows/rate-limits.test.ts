/**
 * Rate limits per client (docs/resource-api.md, "Rate limits"; the contract's "Rate limits per
 * client"): every `/v1` answer carries `RateLimit-Policy` and `RateLimit`
 * (draft-ietf-httpapi-ratelimit-headers), past the quota 429 `rate_limited` with `Retry-After`.
 * Here one instance counting in its memory (demo mode); the count across instances on Redis is in
 * packages/testing/e2e/src/shared-between-instances.test.ts.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { Request } from 'express';
import { createResourceApi } from '../app.ts';
import type { ResourceApiConfig } from '../config.ts';
import { createMetrics } from '../observability/metrics.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;
let partner: Connection;
let other: Connection;
const apps: Array<{ close(): Promise<void> }> = [];
const responseErrors: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  partner = await connect(api, alice);
  other = await connect(api, alice);
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await api.close();
});
afterEach(() => {
  expect([...api.responseErrors, ...responseErrors]).toEqual([]);
});

/**
 * Another app on the test API's database and configuration (its tokens are valid there), with
 * `changes` applied: limits of its own, counted from zero, so each test starts with a fresh window.
 */
async function startApp(changes: Partial<ResourceApiConfig>, metrics = createMetrics()): Promise<TestApi> {
  const config = { ...api.config, ...changes };
  const http: Server = createServer(createResourceApi(config, api.db, {
    metrics,
    logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }), requestLog: null, revocations: api.revocations,
    onResponseValidationError: (error: Error, _body: unknown, req: Request) => responseErrors.push(`${req.method} ${req.originalUrl}: ${error.message}`),
  }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const app = {
    ...api, config, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
  apps.push(app);
  return app;
}

const limits = (perClientPerMinute: number, perAddressPerMinute = 100): Partial<ResourceApiConfig> => ({ rateLimits: { perClientPerMinute, perAddressPerMinute } });

/** `r` and `t` of a `RateLimit` field value. */
function remaining(field: string | null): { policy: string; r: number; t: number } {
  const match = /^"([a-z-]+)";r=([0-9]+);t=([0-9]+)$/.exec(field ?? '');
  if (!match) throw new Error(`not a RateLimit field: ${field}`);
  return { policy: match[1] as string, r: Number(match[2]), t: Number(match[3]) };
}

describe('every /v1 answer carries RateLimit-Policy and RateLimit', () => {
  test('200, 400, 404 and 405 with a token count against the client; 401 without one against the address; /healthz carries none', async () => {
    const app = await startApp(limits(50, 40));
    const account = alice.accounts[0]!.id;
    const answers = [
      await call(app, 'GET', '/v1/accounts', { token: partner.accessToken }),
      await call(app, 'GET', `/v1/accounts/${account}/transactions?limit=0`, { token: partner.accessToken }),
      await call(app, 'GET', '/v1/no-such-route', { token: partner.accessToken }),
      await call(app, 'DELETE', '/v1/accounts', { token: partner.accessToken }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 400, 404, 405]);
    // The unknown path has no credentials read (404 for everyone): it counts against the address.
    expect(answers.map((answer) => answer.headers.get('ratelimit-policy')))
      .toEqual(['"per-client";q=50;w=60', '"per-client";q=50;w=60', '"per-address";q=40;w=60', '"per-client";q=50;w=60']);
    expect(answers.map((answer) => remaining(answer.headers.get('ratelimit')).r)).toEqual([49, 48, 39, 47]);
    const unauthenticated = await call(app, 'GET', '/v1/accounts');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('ratelimit-policy')).toBe('"per-address";q=40;w=60');
    expect(remaining(unauthenticated.headers.get('ratelimit'))).toMatchObject({ policy: 'per-address', r: 38 });
    const health = await call(app, 'GET', '/healthz');
    expect([health.status, health.headers.get('ratelimit'), health.headers.get('ratelimit-policy')]).toEqual([200, null, null]);
  });

  test('t is the seconds left in the 60 s window that began with the client\'s first request', async () => {
    const app = await startApp(limits(10));
    const first = remaining((await call(app, 'GET', '/v1/accounts', { token: partner.accessToken })).headers.get('ratelimit'));
    expect(first.t).toBeGreaterThanOrEqual(59);
    expect(first.t).toBeLessThanOrEqual(60);
  });
});

describe('past the quota', () => {
  test('the client gets 429 rate_limited problem+json with Retry-After = t and r=0; another client is still served', async () => {
    const app = await startApp(limits(3));
    const served = [];
    for (let call_ = 0; call_ < 3; call_ += 1) served.push(await call(app, 'GET', '/v1/accounts', { token: partner.accessToken }));
    expect(served.map((answer) => [answer.status, remaining(answer.headers.get('ratelimit')).r])).toEqual([[200, 2], [200, 1], [200, 0]]);
    const refused = await call(app, 'GET', '/v1/accounts', { token: partner.accessToken });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toEqual({
      type: `${api.config.publicUrl}/problems/rate_limited`, title: 'Too Many Requests', status: 429, code: 'rate_limited',
      detail: expect.stringMatching(/^this client sent more than 3 requests in 60 s; retry after [0-9]+ s$/),
    });
    const limit = remaining(refused.headers.get('ratelimit'));
    expect(limit.r).toBe(0);
    expect(refused.headers.get('retry-after')).toBe(String(limit.t));
    expect(limit.t).toBeGreaterThanOrEqual(1);
    expect(limit.t).toBeLessThanOrEqual(60);
    // A refused request moved no money: the transfer is refused before it is read.
    const transfer = await call(app, 'POST', '/v1/transfers', {
      token: partner.accessToken, headers: { 'idempotency-key': 'over-quota' },
      json: { source_account_id: alice.accounts[0]!.id, destination_account_id: alice.accounts[1]!.id, amount: '1.00', currency: 'CNY' },
    });
    expect(transfer.status).toBe(429);
    const { rows } = await api.db.raw<{ rows: unknown[] }>(`SELECT 1 FROM ledger.idempotency_records WHERE idempotency_key = 'over-quota'`);
    expect(rows).toEqual([]);
    const otherClient = await call(app, 'GET', '/v1/accounts', { token: other.accessToken });
    expect([otherClient.status, remaining(otherClient.headers.get('ratelimit')).r]).toEqual([200, 2]);
  });

  test('requests without a valid token are counted per address: past that quota 429 instead of 401, while a token\'s client is served', async () => {
    const app = await startApp(limits(10, 2));
    const refused = [
      await call(app, 'GET', '/v1/accounts'),
      await call(app, 'GET', '/v1/accounts', { token: 'not.a.token' }),
      await call(app, 'GET', '/v1/accounts'),
    ];
    expect(refused.map((answer) => answer.status)).toEqual([401, 401, 429]);
    expect(refused[0]!.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(refused[2]!.body.code).toBe('rate_limited');
    expect(refused[2]!.body.detail).toMatch(/^this address without a valid access token sent more than 2 requests in 60 s/);
    expect(refused[2]!.headers.get('retry-after')).toBe(String(remaining(refused[2]!.headers.get('ratelimit')).t));
    const served = await call(app, 'GET', '/v1/accounts', { token: partner.accessToken });
    expect([served.status, served.headers.get('ratelimit-policy')]).toEqual([200, '"per-client";q=10;w=60']);
  });

  test('behind TRUST_PROXY_HOPS=1 the address is the one X-Forwarded-For names, not the proxy\'s', async () => {
    const app = await startApp({ ...limits(10, 1), trustProxyHops: 1 });
    const from = (address: string) => call(app, 'GET', '/v1/accounts', { headers: { 'x-forwarded-for': address } });
    expect((await from('203.0.113.7')).status).toBe(401);
    expect((await from('203.0.113.7')).status).toBe(429);
    expect((await from('198.51.100.9')).status).toBe(401);
  });

  test('an IPv6 caller cannot escape the per-address quota by rotating addresses within its /64', async () => {
    const app = await startApp({ ...limits(10, 2), trustProxyHops: 1 });
    const from = (address: string) => call(app, 'GET', '/v1/accounts', { headers: { 'x-forwarded-for': address } });
    const answers = [await from('2001:db8:1:2::1'), await from('2001:db8:1:2::2'), await from('2001:db8:1:2:ffff:ffff:ffff:ffff')];
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 429]);
    expect(answers.map((answer) => remaining(answer.headers.get('ratelimit')).r)).toEqual([1, 0, 0]);
    // Another /64 is another network, counted from its own quota.
    const neighbour = await from('2001:db8:1:3::1');
    expect([neighbour.status, remaining(neighbour.headers.get('ratelimit')).r]).toEqual([401, 1]);
  });
});

test('a browser script of a configured origin may read the rate-limit fields (Access-Control-Expose-Headers)', async () => {
  const app = await startApp({ ...limits(10), corsOrigins: ['http://127.0.0.1:4002'] });
  const answer = await call(app, 'GET', '/v1/accounts', { token: partner.accessToken, headers: { origin: 'http://127.0.0.1:4002' } });
  const exposed = (answer.headers.get('access-control-expose-headers') ?? '').split(',').map((name) => name.trim());
  expect(exposed).toEqual(expect.arrayContaining(['RateLimit-Policy', 'RateLimit', 'Retry-After']));
});

test('the OpenAPI document defines both fields on every answer of every /v1 operation, and Retry-After on 429', async () => {
  const document = (await call(api, 'GET', '/openapi.json')).body;
  const resolve = (response: { $ref?: string; headers?: Record<string, unknown> }) => (response.$ref
    ? document.components.responses[response.$ref.split('/').pop() as string] : response) as { headers: Record<string, unknown> };
  let answers = 0;
  for (const item of Object.values(document.paths as Record<string, Record<string, { responses: Record<string, { $ref?: string }> }>>)) {
    for (const operation of Object.values(item)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = resolve(response).headers;
        expect(Object.keys(headers)).toEqual(expect.arrayContaining(['RateLimit-Policy', 'RateLimit', ...(status === '429' ? ['Retry-After'] : [])]));
        answers += 1;
      }
    }
  }
  expect(answers).toBeGreaterThan(100);
  expect(document.components.headers['RateLimit-Policy'].schema.pattern).toBe('^"(per-client|per-address)";q=[0-9]{1,9};w=[0-9]{1,5}$');
});

describe('METRICS_PORT', () => {
  test('demo mode without it: /metrics stays on the public port', async () => {
    expect(api.config.metrics.port).toBeNull();
    const answer = await call(api, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.body).toContain('http_request_duration_seconds');
  });

  test('with it: the public port answers 404 problem for /metrics; the metrics port on 127.0.0.1 serves the same registry, and nothing else', async () => {
    const metrics = createMetrics();
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const settings = { port, host: '127.0.0.1' };
    const app = await startApp({ metrics: settings }, metrics);
    const server = await startMetricsServer(settings, metrics);
    try {
      expect((await call(app, 'GET', '/v1/accounts', { token: partner.accessToken })).status).toBe(200);
      const hidden = await call(app, 'GET', '/metrics');
      expect([hidden.status, hidden.headers.get('content-type'), hidden.body.code]).toEqual([404, 'application/problem+json; charset=utf-8', 'not_found']);
      expect(JSON.stringify(hidden.body)).not.toContain('http_request_duration_seconds');
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/v1/accounts",status="200"} 1');
      expect(text).toContain('http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
      expect((await fetch(`http://127.0.0.1:${port}/v1/accounts`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
      // Bound to 127.0.0.1 only: the address it listens on.
      expect(server?.address()).toMatchObject({ address: '127.0.0.1', port });
    } finally {
      await new Promise((resolve) => server?.close(resolve));
    }
  });
});
