import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateEndpointSecret, updateEndpoint } from './endpoints.ts';
import { purgeOrphanDeliveries } from './event-log.ts';
import { migrateEvents } from './migrations.ts';
import { createSecretBox } from './secrets.ts';
import type { UrlPolicy } from './url-policy.ts';

let database: TestDatabase;
const secrets = createSecretBox('events-tests-secret-0123456789abcdef');
const demo = { secrets, urlPolicy: { allowPrivateNetworks: true } };
/** Private networks not allowed; `*.resolves-to.test` names resolve to the address they spell. */
const strict: { secrets: typeof secrets; urlPolicy: UrlPolicy } = {
  secrets,
  urlPolicy: {
    allowPrivateNetworks: false,
    lookup: async (hostname) => {
      const match = /^(.+)\.resolves-to\.test$/.exec(hostname);
      if (!match) throw new Error('ENOTFOUND');
      return [(match[1] as string).replaceAll('-', '.')];
    },
  },
};

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
});
afterAll(async () => {
  await database.drop();
});

describe('registering an endpoint', () => {
  test('returns the endpoint and a whsec_ secret shown once; only its sealed form is stored', async () => {
    const { endpoint, secret } = await createEndpoint(database.db, demo, { clientId: 'c1', url: 'http://localhost:9/hooks', eventTypes: ['transfer.completed', 'transfer.completed'], description: 'mine' });
    expect(endpoint).toEqual({ id: expect.stringMatching(/^we_[0-9a-f]{32}$/), url: 'http://localhost:9/hooks', event_types: ['transfer.completed'],
      description: 'mine', status: 'enabled', disabled_reason: null, created_at: expect.stringMatching(/Z$/) });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    const { rows } = await database.db.raw<{ rows: Array<{ secret_sealed: string }> }>('SELECT secret_sealed FROM events.webhook_endpoints WHERE id = ?', [endpoint.id]);
    expect(rows[0]?.secret_sealed).not.toContain(secret.slice(6, 20));
    expect(secrets.unseal(rows[0]?.secret_sealed as string)).toBe(secret);
  });

  test.each([
    ['http on a public host', 'http://203-0-113-10.resolves-to.test/h'],
    ['127.0.0.1', 'https://127.0.0.1/h'],
    ['localhost', 'https://localhost/h'],
    ['[::1]', 'https://[::1]/h'],
    ['10.0.0.1', 'https://10.0.0.1/h'],
    ['169.254.169.254 (cloud metadata)', 'https://169.254.169.254/latest/meta-data'],
    ['0x7f000001 (127.0.0.1 in hex)', 'https://0x7f000001/h'],
    ['2130706433 (127.0.0.1 in decimal)', 'https://2130706433/h'],
    ['0.0.0.0', 'https://0.0.0.0/h'],
    ['::ffff:127.0.0.1', 'https://[::ffff:127.0.0.1]/h'],
    ['fd00::1 (unique local)', 'https://[fd00::1]/h'],
    ['a name that resolves to 127.0.0.1', 'https://127-0-0-1.resolves-to.test/h'],
    ['a name that does not resolve', 'https://nowhere.invalid/h'],
    ['credentials in the URL', 'https://user:pw@8-8-8-8.resolves-to.test/h'],
  ])('with private networks not allowed, refuses %s with webhook_url_not_allowed', async (_label, url) => {
    await expect(createEndpoint(database.db, strict, { clientId: 'c-ssrf', url, eventTypes: ['transfer.completed'] }))
      .rejects.toMatchObject({ code: 'webhook_url_not_allowed' });
  });

  test('with private networks not allowed, accepts https to a public address', async () => {
    const { endpoint } = await createEndpoint(database.db, strict, { clientId: 'c-ssrf', url: 'https://8-8-8-8.resolves-to.test/h', eventTypes: ['transfer.completed'] });
    expect(endpoint.url).toBe('https://8-8-8-8.resolves-to.test/h');
  });

  test.each([
    ['no event types', { url: 'http://localhost:9/x', eventTypes: [] }],
    ['an unknown event type', { url: 'http://localhost:9/x', eventTypes: ['money.printed'] }],
    ['a relative URL', { url: '/hooks', eventTypes: ['transfer.completed'] }],
    ['a control character in the description', { url: 'http://localhost:9/x', eventTypes: ['transfer.completed'], description: 'a\u0000b' }],
  ])('refuses %s with invalid_request', async (_label, input) => {
    await expect(createEndpoint(database.db, demo, { clientId: 'c-bad', ...input })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  test('at most 10 per client, also under 16 parallel registrations', async () => {
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, index) =>
      createEndpoint(database.db, demo, { clientId: 'c-limit', url: `http://localhost:9/${index}`, eventTypes: ['transfer.completed'] })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'webhook_endpoint_limit_reached' });
    expect(await listEndpoints(database.db, 'c-limit')).toHaveLength(10);
  });
});

describe("another client's endpoint", () => {
  test('is not found by get, update, rotation or delete, and stays unchanged', async () => {
    const { endpoint } = await createEndpoint(database.db, demo, { clientId: 'owner', url: 'http://localhost:9/o', eventTypes: ['transfer.completed'] });
    await expect(getEndpoint(database.db, 'intruder', endpoint.id)).rejects.toMatchObject({ code: 'webhook_endpoint_not_found' });
    await expect(updateEndpoint(database.db, demo, 'intruder', endpoint.id, { status: 'disabled' })).rejects.toMatchObject({ code: 'webhook_endpoint_not_found' });
    await expect(rotateEndpointSecret(database.db, demo, 'intruder', endpoint.id)).rejects.toMatchObject({ code: 'webhook_endpoint_not_found' });
    await expect(deleteEndpoint(database.db, 'intruder', endpoint.id)).rejects.toMatchObject({ code: 'webhook_endpoint_not_found' });
    expect(await getEndpoint(database.db, 'owner', endpoint.id)).toEqual(endpoint);
  });
});

describe('changing an endpoint', () => {
  test('rotation keeps the old secret beside the new one until the overlap ends', async () => {
    const { endpoint, secret } = await createEndpoint(database.db, demo, { clientId: 'c-rotate', url: 'http://localhost:9/r', eventTypes: ['transfer.completed'] });
    const rotated = await rotateEndpointSecret(database.db, demo, 'c-rotate', endpoint.id, 60);
    expect(rotated.secret).not.toBe(secret);
    const { rows } = await database.db.raw<{ rows: Array<{ current: string; previous: string; overlap: boolean }> }>(
      `SELECT secret_sealed AS current, previous_secret_sealed AS previous,
              previous_secret_expires_at BETWEEN now() + interval '59 seconds' AND now() + interval '61 seconds' AS overlap
         FROM events.webhook_endpoints WHERE id = ?`, [endpoint.id]);
    expect(secrets.unseal(rows[0]?.current as string)).toBe(rotated.secret);
    expect(secrets.unseal(rows[0]?.previous as string)).toBe(secret);
    expect(rows[0]?.overlap).toBe(true);
  });

  test('enabling an endpoint disabled for failing clears the reason', async () => {
    const { endpoint } = await createEndpoint(database.db, demo, { clientId: 'c-status', url: 'http://localhost:9/s', eventTypes: ['transfer.completed'] });
    await database.db.raw(`UPDATE events.webhook_endpoints SET status = 'disabled', disabled_reason = 'failing', failing_since = now() WHERE id = ?`, [endpoint.id]);
    const enabled = await updateEndpoint(database.db, demo, 'c-status', endpoint.id, { status: 'enabled', eventTypes: ['grant.revoked'] });
    expect(enabled).toMatchObject({ status: 'enabled', disabled_reason: null, event_types: ['grant.revoked'] });
  });
});

describe('deleting an endpoint', () => {
  test('deletes its delivery attempts with it, and an attempt left without its endpoint is purged', async () => {
    const { endpoint } = await createEndpoint(database.db, demo, { clientId: 'c-delete', url: 'http://localhost:9/d', eventTypes: ['transfer.completed'] });
    await database.db.raw(`SELECT events.append('transfer.completed', 'c-delete', '{}'::jsonb)`);
    await deleteEndpoint(database.db, 'c-delete', endpoint.id);
    const { rows } = await database.db.raw<{ rows: unknown[] }>('SELECT 1 FROM events.deliveries WHERE endpoint_id = ?', [endpoint.id]);
    expect(rows).toEqual([]);
    // What a transaction racing with the deletion leaves behind: an attempt whose endpoint is gone.
    const { rows: events } = await database.db.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM events.events WHERE client_id = 'c-delete' LIMIT 1`);
    await database.db.raw(`INSERT INTO events.deliveries (id, event_id, endpoint_id, attempt, status, next_attempt_at)
      VALUES (events.new_id('dlv'), ?, ?, 1, 'pending', now())`, [events[0]?.id as string, endpoint.id]);
    expect(await purgeOrphanDeliveries(database.db)).toBe(1);
    expect(await purgeOrphanDeliveries(database.db)).toBe(0);
  });
});

describe('security review of the webhooks', () => {
  test('an IPv4-compatible IPv6 address (::127.0.0.1) is not public, and a URL longer than 2048 characters once encoded is refused', async () => {
    await expect(createEndpoint(database.db, strict, { clientId: 'c-review', url: 'https://[::127.0.0.1]/h', eventTypes: ['transfer.completed'] }))
      .rejects.toMatchObject({ code: 'webhook_url_not_allowed' });
    await expect(createEndpoint(database.db, demo, { clientId: 'c-review', url: `http://127.0.0.1:9/${'é'.repeat(1000)}`, eventTypes: ['transfer.completed'] }))
      .rejects.toMatchObject({ code: 'invalid_request' });
  });
});
