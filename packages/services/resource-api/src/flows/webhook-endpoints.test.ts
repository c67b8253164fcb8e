import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { call, connectClient, startTestApi } from '../testing/index.ts';
import type { ClientSession, TestApi } from '../testing/index.ts';

// /v1/webhook-endpoints… (docs/webhooks.md): registering, reading, changing, rotating, testing and
// deleting a client's endpoints; bad input and the limits. Who may call them: webhooks-access.test.ts.

let api: TestApi;
let owner: ClientSession;

/** A public host: `*.resolves-to.test` names resolve to the address they spell (no DNS in tests). */
const PUBLIC_URL = 'https://8-8-8-8.resolves-to.test/hooks';

beforeAll(async () => {
  api = await startTestApi(undefined, {
    webhookUrlPolicy: {
      allowPrivateNetworks: false,
      lookup: async (hostname) => {
        const match = /^(.+)\.resolves-to\.test$/.exec(hostname);
        if (!match) throw new Error('ENOTFOUND');
        return [(match[1] as string).replaceAll('-', '.')];
      },
    },
  });
  owner = await connectClient(api);
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

const manage = (method: string, path: string, json?: unknown, session: ClientSession = owner): ReturnType<typeof call> =>
  call(api, method, path, { token: session.accessToken, ...(json === undefined ? {} : { json }) });

describe('an endpoint from registration to deletion', () => {
  test('is created with a whsec_ secret shown once, listed, read, changed, rotated, tested and deleted', async () => {
    const created = await manage('POST', '/v1/webhook-endpoints', { url: PUBLIC_URL, event_types: ['transfer.completed'], description: 'mine' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^we_[0-9a-f]{32}$/), url: PUBLIC_URL, event_types: ['transfer.completed'], description: 'mine',
      status: 'enabled', disabled_reason: null, created_at: expect.stringMatching(/Z$/), secret: expect.stringMatching(/^whsec_/),
    });
    const { secret, ...endpoint } = created.body as { secret: string; id: string };
    expect(created.headers.get('location')).toBe(`/v1/webhook-endpoints/${endpoint.id}`);

    expect((await manage('GET', '/v1/webhook-endpoints')).body).toEqual({ data: [endpoint] });
    expect((await manage('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body).toEqual(endpoint);

    const changed = await manage('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { event_types: ['transaction.booked', 'grant.revoked'], status: 'disabled', description: null });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ ...endpoint, event_types: ['grant.revoked', 'transaction.booked'], status: 'disabled', description: null });
    expect((await manage('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { status: 'enabled' })).body.status).toBe('enabled');

    const rotated = await manage('POST', `/v1/webhook-endpoints/${endpoint.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.body.secret).not.toBe(secret);

    const tested = await manage('POST', `/v1/webhook-endpoints/${endpoint.id}/test`);
    expect(tested.status).toBe(202);
    expect(tested.body).toEqual({ event_id: expect.stringMatching(/^evt_[0-9a-f]{32}$/) });
    const deliveries = await manage('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(deliveries.body).toEqual({
      data: [{ id: expect.stringMatching(/^dlv_/), event_id: tested.body.event_id, event_type: 'webhook.test', attempt: 1, status: 'pending',
        response_status: null, duration_ms: null, attempted_at: null, next_attempt_at: expect.stringMatching(/Z$/) }],
      next_cursor: null,
    });

    const deleted = await manage('DELETE', `/v1/webhook-endpoints/${endpoint.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe('');
    expect((await manage('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body.code).toBe('webhook_endpoint_not_found');
    expect((await manage('DELETE', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
  });

  test('deliveries page newest first with a cursor', async () => {
    const { body: endpoint } = await manage('POST', '/v1/webhook-endpoints', { url: PUBLIC_URL, event_types: ['transfer.completed'] });
    const sent: string[] = [];
    for (let i = 0; i < 3; i += 1) sent.push((await manage('POST', `/v1/webhook-endpoints/${endpoint.id}/test`)).body.event_id as string);
    const first = await manage('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=2`);
    expect(first.body.data.map((delivery: { event_id: string }) => delivery.event_id)).toEqual([sent[2], sent[1]]);
    const second = await manage('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=2&cursor=${first.body.next_cursor as string}`);
    expect(second.body).toEqual({ data: [expect.objectContaining({ event_id: sent[0] })], next_cursor: null });
    await manage('DELETE', `/v1/webhook-endpoints/${endpoint.id}`);
  });
});

describe('bad input', () => {
  const valid = { url: PUBLIC_URL, event_types: ['transfer.completed'] };

  test.each<[string, number, string, unknown]>([
    ['no url', 400, 'invalid_request', { event_types: ['transfer.completed'] }],
    ['no event_types', 400, 'invalid_request', { url: PUBLIC_URL }],
    ['an empty event_types', 400, 'invalid_request', { ...valid, event_types: [] }],
    ['an unknown event type', 400, 'invalid_request', { ...valid, event_types: ['transfer.created'] }],
    ['an extra field', 400, 'invalid_request', { ...valid, secret: 'whsec_mine' }],
    ['a url that is a number', 400, 'invalid_request', { ...valid, url: 42 }],
    ['a url that is not a URL', 400, 'invalid_request', { ...valid, url: 'hooks' }],
    ['a 2049-character url', 400, 'invalid_request', { ...valid, url: `https://8-8-8-8.resolves-to.test/${'a'.repeat(2016)}` }],
    ['a 501-character description', 400, 'invalid_request', { ...valid, description: 'd'.repeat(501) }],
    ['a description with a control character', 400, 'invalid_request', { ...valid, description: 'bell\u0007' }],
    ['plain http', 422, 'webhook_url_not_allowed', { ...valid, url: 'http://8-8-8-8.resolves-to.test/hooks' }],
    ['a loopback address', 422, 'webhook_url_not_allowed', { ...valid, url: 'https://127.0.0.1/hooks' }],
    ['the cloud metadata address', 422, 'webhook_url_not_allowed', { ...valid, url: 'https://169.254.169.254/latest' }],
    ['a name resolving to a private address', 422, 'webhook_url_not_allowed', { ...valid, url: 'https://10-0-0-1.resolves-to.test/hooks' }],
    ['a name that does not resolve', 422, 'webhook_url_not_allowed', { ...valid, url: 'https://nowhere.invalid/hooks' }],
    ['credentials in the url', 422, 'webhook_url_not_allowed', { ...valid, url: 'https://u:p@8-8-8-8.resolves-to.test/hooks' }],
  ])('POST with %s is %i %s, and nothing is registered', async (_label, status, code, body) => {
    const answer = await manage('POST', '/v1/webhook-endpoints', body);
    expect([answer.status, answer.body.code]).toEqual([status, code]);
    expect((await manage('GET', '/v1/webhook-endpoints')).body.data).toEqual([]);
  });

  test.each<[string, number, string, { raw: string; contentType?: string }]>([
    ['malformed JSON', 400, 'invalid_request', { raw: '{"url": ' }],
    ['a member name twice', 400, 'invalid_request', { raw: '{"url":"https://a.example/h","url":"https://b.example/h","event_types":["transfer.completed"]}' }],
    ['a text/plain body', 415, 'unsupported_media_type', { raw: JSON.stringify(valid), contentType: 'text/plain' }],
    ['a body over 64 KiB', 413, 'content_too_large', { raw: JSON.stringify({ ...valid, description: 'x'.repeat(70_000) }) }],
  ])('POST with %s is %i %s', async (_label, status, code, { raw, contentType }) => {
    const answer = await call(api, 'POST', '/v1/webhook-endpoints', { token: owner.accessToken, rawBody: raw, headers: contentType ? { 'content-type': contentType } : {} });
    expect([answer.status, answer.body.code]).toEqual([status, code]);
  });

  test('PATCH with no field, an unknown status or a private URL is refused; the endpoint is unchanged', async () => {
    const { body: endpoint } = await manage('POST', '/v1/webhook-endpoints', valid);
    const { secret: _secret, ...before } = endpoint as Record<string, unknown>;
    for (const [body, status, code] of [[{}, 400, 'invalid_request'], [{ status: 'paused' }, 400, 'invalid_request'], [{ id: 'we_x' }, 400, 'invalid_request'],
      [{ url: 'https://192.168.1.1/h' }, 422, 'webhook_url_not_allowed']] as const) {
      const answer = await manage('PATCH', `/v1/webhook-endpoints/${endpoint.id as string}`, body);
      expect([answer.status, answer.body.code]).toEqual([status, code]);
    }
    expect((await manage('GET', `/v1/webhook-endpoints/${endpoint.id as string}`)).body).toEqual(before);
    await manage('DELETE', `/v1/webhook-endpoints/${endpoint.id as string}`);
  });

  test.each(['limit=0', 'limit=101', 'limit=1e1', 'limit=05', 'limit=2&limit=3', 'cursor=not-a-cursor', 'cursor=', 'after=x'])(
    'GET deliveries with %s is 400 invalid_request', async (query) => {
      const { body: endpoint } = await manage('POST', '/v1/webhook-endpoints', valid);
      const answer = await manage('GET', `/v1/webhook-endpoints/${endpoint.id as string}/deliveries?${query}`);
      expect([answer.status, answer.body.code]).toEqual([400, 'invalid_request']);
      await manage('DELETE', `/v1/webhook-endpoints/${endpoint.id as string}`);
    });
});

describe('limits', () => {
  test('a client has at most 10 endpoints: the 11th is 422 webhook_endpoint_limit_reached, another client is not affected', async () => {
    const busy = await connectClient(api);
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => manage('POST', '/v1/webhook-endpoints', { url: `${PUBLIC_URL}/${i}`, event_types: ['grant.revoked'] }, busy)));
    expect(made.filter((answer) => answer.status === 201)).toHaveLength(10);
    expect(made.filter((answer) => answer.status === 422).map((answer) => answer.body.code)).toEqual(['webhook_endpoint_limit_reached', 'webhook_endpoint_limit_reached']);
    expect((await manage('GET', '/v1/webhook-endpoints', undefined, busy)).body.data).toHaveLength(10);
    const other = await connectClient(api);
    expect((await manage('POST', '/v1/webhook-endpoints', { url: PUBLIC_URL, event_types: ['grant.revoked'] }, other)).status).toBe(201);
  });
});
