import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { LOG_REDACT_CENSOR, createLogger } from '@payapi/platform';
import { Writable } from 'node:stream';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

// One request log for every service (the shared logger of @payapi/platform): the authorization
// server and the resource API write a line per answer with the same fields, and neither writes
// a credential, whatever the client sends and wherever it puts it.

/** The fields of every request line, in every service. */
const REQUEST_LINE_FIELDS = ['level', 'time', 'service', 'reqId', 'interactionId', 'clientId', 'req', 'res', 'responseTime', 'msg'];

let api: TestApi;
let alice: Alice;
let partner: Connection;
let secret: string;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  partner = await connect(api, alice);
  secret = partner.registered.client_secret as string;
});
afterAll(async () => {
  await api.close();
});

type LogLine = Record<string, unknown> & { req?: Record<string, unknown>; res?: Record<string, unknown> };

/** The request line (the one with the answer's status) of the request sent with `interactionId`. */
function requestLine(logs: string[], interactionId: string): LogLine {
  const lines = logs.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as LogLine);
  const found = lines.filter((line) => line.interactionId === interactionId && line.res !== undefined);
  expect(found).toHaveLength(1);
  return found[0] as LogLine;
}

/** `client_id:client_secret` as HTTP Basic credentials (RFC 6749 §2.3.1). */
function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

describe('the request log of the authorization server and the resource API', () => {
  test('has the same fields in both services, the client id included once the client is known', async () => {
    const introspection = await fetch(`${api.auth.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: basic(partner.registered.client_id, secret),
        'content-type': 'application/x-www-form-urlencoded',
        'x-fapi-interaction-id': 'log-fields-auth',
      },
      body: new URLSearchParams({ token: partner.accessToken }).toString(),
    });
    expect(introspection.status).toBe(200);
    expect(introspection.headers.get('x-fapi-interaction-id')).toBe('log-fields-auth');
    const account = alice.accounts[0]!.id;
    const history = await call(api, 'GET', `/v1/accounts/${account}/transactions?limit=5`, { token: partner.accessToken, headers: { 'x-fapi-interaction-id': 'log-fields-api' } });
    expect(history.status).toBe(200);

    const auth = requestLine(api.auth.logs, 'log-fields-auth');
    const resource = requestLine(api.logs, 'log-fields-api');
    for (const line of [auth, resource]) {
      expect(Object.keys(line).sort()).toEqual([...REQUEST_LINE_FIELDS].sort());
      expect(line.reqId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(line.clientId).toBe(partner.registered.client_id);
      expect(Object.keys(line.req ?? {}).sort()).toEqual(['method', 'path']);
      expect(Object.keys(line.res ?? {})).toEqual(['statusCode']);
      expect(typeof line.responseTime).toBe('number');
      expect(line.level).toBe(30);
    }
    expect([auth.service, auth.req, auth.res]).toEqual(['auth-server', { method: 'POST', path: '/token/introspection' }, { statusCode: 200 }]);
    expect([resource.service, resource.req, resource.res]).toEqual(['resource-api', { method: 'GET', path: `/v1/accounts/acc_…${account.slice(-4)}/transactions?[query omitted]` }, { statusCode: 200 }]);
  });

  test('the authorization server gives an answer an interaction id when the client sent none, as the resource API does', async () => {
    const jwks = await fetch(`${api.auth.issuer}/jwks`);
    const health = await fetch(`${api.url}/healthz`);
    for (const answer of [jwks, health]) {
      expect(answer.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await answer.arrayBuffer();
    }
    const line = requestLine(api.auth.logs, jwks.headers.get('x-fapi-interaction-id') as string);
    expect(line.clientId).toBeUndefined();
  });

  test('names no client for a request whose token did not pass', async () => {
    const refused = await call(api, 'GET', '/v1/accounts', { token: `${partner.accessToken}x`, headers: { 'x-fapi-interaction-id': 'log-refused' } });
    expect(refused.status).toBe(401);
    const line = requestLine(api.logs, 'log-refused');
    expect(line.clientId).toBeUndefined();
    expect(line.res).toEqual({ statusCode: 401 });
  });

  test('never holds an Authorization header, a client secret or a token, from headers, bodies or query strings', async () => {
    // The secret in a form body (client_secret_post) and in the query of an authorization
    // request; the token in a query string by mistake.
    const posted = await fetch(`${api.auth.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: partner.registered.client_id, client_secret: secret, scope: 'accounts:read' }).toString(),
    });
    const issued = await posted.json() as { access_token?: string };
    const authorization = await fetch(`${api.auth.issuer}/auth?${new URLSearchParams({ client_id: partner.registered.client_id, client_secret: secret, response_type: 'code' })}`, { redirect: 'manual' });
    await authorization.arrayBuffer();
    await call(api, 'GET', `/v1/accounts?access_token=${partner.accessToken}`, { token: partner.accessToken });

    const everything = [...api.auth.logs, ...api.logs].join('\n');
    expect(everything).toContain('"path":"/auth?[query omitted]"');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(encodeURIComponent(secret));
    expect(everything).not.toContain(basic(partner.registered.client_id, secret).slice('Basic '.length));
    expect(everything).not.toMatch(/basic |bearer |dpop /i);
    expect(everything).not.toContain(partner.accessToken.split('.')[2]);
    if (partner.refreshToken) expect(everything).not.toContain(partner.refreshToken);
    if (issued.access_token) expect(everything).not.toContain(issued.access_token.split('.')[2]);
    expect(everything).not.toContain(alice.password);
  });
});

describe('the shared logger', () => {
  test('censors credentials a caller logs by hand, in headers and in OAuth fields', () => {
    const written: string[] = [];
    const logger = createLogger('test', 'info', new Writable({ write: (chunk: Buffer, _encoding, done) => { written.push(chunk.toString('utf8')); done(); } }));
    logger.info({
      req: { headers: { authorization: basic('id', 'top-secret'), cookie: 'session=top-secret', dpop: 'top-secret-proof' } },
      res: { headers: { 'set-cookie': 'session=top-secret' } },
      headers: { authorization: 'Bearer top-secret' },
      body: { client_secret: 'top-secret', password: 'top-secret' },
      refresh_token: 'top-secret',
    }, 'by hand');
    expect(written.join('')).not.toContain('top-secret');
    expect(written.join('')).toContain(LOG_REDACT_CENSOR);
  });
});
