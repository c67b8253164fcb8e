import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createDatabase } from '@payapi/platform';
import { createResourceApi } from '../app.ts';
import { PROBLEM_CODES } from '../errors/problem-codes.ts';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;

beforeAll(async () => {
  api = await startTestApi((config) => ({ ...config, corsOrigins: ['http://127.0.0.1:4002'] }));
  alice = await seedUser(api.auth);
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

const CONTRACT_OPERATIONS = [
  'get /v1/accounts', 'get /v1/accounts/{account_id}', 'get /v1/accounts/{account_id}/balance',
  'get /v1/accounts/{account_id}/transactions', 'post /v1/transfers', 'get /v1/transfers/{transfer_id}',
  'post /v1/payments', 'get /v1/payments/{payment_id}', 'get /v1/payment-consents/{consent_id}',
  'post /v1/webhook-endpoints', 'get /v1/webhook-endpoints', 'get /v1/webhook-endpoints/{endpoint_id}', 'patch /v1/webhook-endpoints/{endpoint_id}',
  'delete /v1/webhook-endpoints/{endpoint_id}', 'post /v1/webhook-endpoints/{endpoint_id}/secret/rotate', 'post /v1/webhook-endpoints/{endpoint_id}/test',
  'get /v1/webhook-endpoints/{endpoint_id}/deliveries', 'get /v1/events', 'get /v1/events/{event_id}', 'post /v1/events/{event_id}/redeliver',
];

describe('GET /openapi.json', () => {
  test('is OpenAPI 3.1 with exactly the documented operations, each with its scope and error answers', async () => {
    const answer = await call(api, 'GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(answer.body.servers).toEqual([{ url: api.url, description: 'This deployment: sandbox, test money only', 'x-internal': false }]);
    const operations = Object.entries(answer.body.paths as Record<string, Record<string, { security: Array<Record<string, string[]>>; responses: Record<string, unknown> }>>)
      .flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ name: `${method} ${path}`, operation })));
    expect(operations.map((entry) => entry.name).sort()).toEqual([...CONTRACT_OPERATIONS].sort());
    for (const { name, operation } of operations) {
      // The client's own resources take a client-credentials token; everything else a user's.
      const scheme = /webhook|events/.test(name) ? 'oauth2ClientCredentials' : 'oauth2';
      expect(operation.security[0]![scheme]).toHaveLength(1);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '500']));
    }
    expect(answer.body.components.securitySchemes.oauth2.flows.authorizationCode.tokenUrl).toBe(`${api.auth.issuer}/token`);
  });
});

describe('error codes in the document (issue 17: Problem.code was a pattern)', () => {
  test('every problem answer of every route lists its codes as an enum of known codes; none is a pattern', async () => {
    const document = (await call(api, 'GET', '/openapi.json')).body;
    const resolve = (response: Record<string, unknown>) => {
      const ref = response.$ref as string | undefined;
      return ref ? document.components.responses[ref.split('/').pop() as string] : response;
    };
    let answers = 0;
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, Record<string, unknown>> }>>)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const content = resolve(response).content?.['application/problem+json'];
          if (!content) continue;
          answers += 1;
          const codes = content.schema.allOf[1].properties.code.enum as string[];
          expect([method, path, status, codes.length > 0]).toEqual([method, path, status, true]);
          expect(codes.filter((code) => !PROBLEM_CODES.includes(code as never))).toEqual([]);
          expect(Object.keys(content.examples).sort()).toEqual([...codes].sort());
          for (const example of Object.values(content.examples as Record<string, { value: { type: string; code: string } }>)) {
            expect(example.value.type).toBe(`${api.url}/problems/${example.value.code}`);
          }
        }
      }
    }
    expect(answers).toBeGreaterThan(100);
    const problem = document.components.schemas.Problem.properties;
    expect(problem.code).toEqual({ type: 'string', enum: PROBLEM_CODES, example: 'insufficient_funds' });
    expect(JSON.stringify(document.paths)).not.toContain('"pattern":"^[a-z][a-z0-9_]*$"');
  });

  test('the routes that create something link to where it is read (the Postman collection chains on these)', async () => {
    const document = (await call(api, 'GET', '/openapi.json')).body;
    expect(document.paths['/v1/transfers'].post.responses['201'].links.GetTransfer).toEqual({
      operationId: 'getTransfer', parameters: { transfer_id: '$response.body#/id' }, description: 'Read the transfer back by its `id`.',
    });
  });
});

describe('GET /docs', () => {
  test('serves Swagger UI from local files with no inline script and no CDN', async () => {
    const page = await call(api, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const scripts = [...(page.body as string).matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(3);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/src="\/docs\//);
      expect(inline).toBe('');
    }
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    for (const src of [...(page.body as string).matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string)) {
      const asset = await call(api, 'GET', src);
      expect(asset.status).toBe(200);
    }
    const initializer = await call(api, 'GET', '/docs/swagger-initializer.js');
    expect(initializer.body).toContain('{"url":"/openapi.json","name":"Resource API"}');
    expect(initializer.body).toContain(`{"url":"${api.auth.issuer}/openapi.json","name":"Authorization server"}`);
  });

  test('does not serve other files of the package', async () => {
    const answer = await call(api, 'GET', '/docs/assets/package.json');
    expect(answer.status).toBe(404);
  });
});

describe('GET /postman.json', () => {
  test('is a Postman v2.1 collection with a request per contract operation', async () => {
    const answer = await call(api, 'GET', '/postman.json');
    expect(answer.status).toBe(200);
    expect(answer.body.info.schema).toMatch(/collection\/v2\.1\.0/);
    const requests: string[] = [];
    const walk = (items: Array<{ item?: unknown[]; request?: { method: string; url: { path: string[] } } }>): void => {
      for (const item of items) {
        if (item.request) requests.push(`${item.request.method.toLowerCase()} /${item.request.url.path.join('/')}`);
        if (item.item) walk(item.item as typeof items);
      }
    };
    walk(answer.body.item);
    expect(requests).toHaveLength(CONTRACT_OPERATIONS.length);
    expect(requests).toContain('post /v1/transfers');
  });
});

describe('operations endpoints', () => {
  test('/healthz answers ok', async () => {
    const answer = await call(api, 'GET', '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  test('/readyz answers ready while the database answers', async () => {
    const answer = await call(api, 'GET', '/readyz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ready' });
  });

  test('/metrics exposes request durations by route template and transfer outcomes', async () => {
    const partner = await connect(api, alice, { accountIds: [alice.accounts[0]!.id] });
    await call(api, 'GET', `/v1/accounts/${alice.accounts[0]!.id}`, { token: partner.accessToken });
    const body = { source_account_id: alice.accounts[0]!.id, destination_account_id: alice.accounts[1]!.id, amount: '1.00', currency: 'CNY' };
    await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, json: body, headers: { 'idempotency-key': 'm-1' } });
    await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, json: body, headers: { 'idempotency-key': 'm-1' } });
    await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, json: { ...body, amount: '99999999.00' }, headers: { 'idempotency-key': 'm-2' } });
    await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, json: { ...body, amount: 1 }, headers: { 'idempotency-key': 'm-3' } });
    const answer = await call(api, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('http_request_duration_seconds_count{method="GET",route="/v1/accounts/:account_id",status="200"} 1');
    expect(answer.body).toContain('transfers_total{outcome="completed"} 1');
    expect(answer.body).toContain('transfers_total{outcome="replayed"} 1');
    expect(answer.body).toContain('transfers_total{outcome="insufficient_funds"} 1');
    expect(answer.body).toContain('transfers_total{outcome="invalid_amount"} 1');
    expect(answer.body).not.toContain(alice.accounts[0]!.id);
  });
});

test('/readyz answers 503 database_unavailable when the database does not answer', async () => {
  const unreachable = createDatabase({ url: 'postgres://nobody@127.0.0.1:1/nothing', acquireTimeoutMs: 500 });
  const http = createServer(createResourceApi(api.config, unreachable, { logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }) }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/readyz`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { code: string }).code).toBe('database_unavailable');
  } finally {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
    await unreachable.destroy();
  }
});

describe('CORS', () => {
  test('a configured origin gets its preflight answered and its origin allowed', async () => {
    const answer = await call(api, 'OPTIONS', '/v1/transfers', { headers: { origin: 'http://127.0.0.1:4002', 'access-control-request-method': 'POST' } });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4002');
    expect(answer.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
  });

  test('another origin gets no CORS headers', async () => {
    const answer = await call(api, 'GET', '/healthz', { headers: { origin: 'https://evil.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});
