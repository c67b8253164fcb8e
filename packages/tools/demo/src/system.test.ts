import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendEvent, createEndpoint, createSecretBox, readWebhookSecretsKey } from '@payapi/events';
import { startWebhookReceiver } from '@payapi/events/testing';
import type { WebhookReceiver } from '@payapi/events/testing';
import { createTestDatabase, freePort } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { startSystem } from './system.ts';
import type { RunningSystem } from './system.ts';

let database: TestDatabase;
let system: RunningSystem | undefined;
let receiver: WebhookReceiver;


beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await startWebhookReceiver();
  const [auth, api, partner, portal] = [await freePort(), await freePort(), await freePort(), await freePort()];
  system = await startSystem({
    db: database.db,
    env: {
      AUTH_ISSUER: `http://127.0.0.1:${auth}`,
      RESOURCE_API_URL: `http://127.0.0.1:${api}`,
      PARTNER_DEMO_URL: `http://127.0.0.1:${partner}`,
      DEVELOPER_PORTAL_URL: `http://127.0.0.1:${portal}`,
      LOG_LEVEL: 'silent',
    },
  });
}, 60_000);
afterAll(async () => {
  await system?.close();
  await receiver.close();
  await database.drop();
});

describe('demo mode', () => {
  test('runs the delivery worker: an endpoint on localhost, sealed with the demo key as the API seals it, gets signed webhooks until close', async () => {
    expect(system?.warnings).toContain('WEBHOOK_SECRETS_KEY is unset: webhook endpoint secrets are sealed with a public demo key');
    const secrets = createSecretBox(readWebhookSecretsKey({}, []));
    const { endpoint, secret } = await createEndpoint(database.db, { secrets, urlPolicy: { allowPrivateNetworks: true } },
      { clientId: 'partner-demo', url: receiver.url, eventTypes: ['transfer.completed'] });
    const eventId = await appendEvent(database.db, { type: 'transfer.completed', clientId: 'partner-demo', data: { id: 'tr_demo' } });

    const deadline = Date.now() + 5_000;
    while (receiver.received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const [request] = receiver.received;
    expect(request?.headers['webhook-id']).toBe(eventId);
    // Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> under the secret's bytes.
    const signed = `${eventId}.${String(request?.headers['webhook-timestamp'])}.${request?.body ?? ''}`;
    const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(signed).digest('base64');
    expect(request?.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ id: eventId, type: 'transfer.completed', environment: 'sandbox', data: { id: 'tr_demo' } });
    expect(endpoint.url).toBe(receiver.url);

    await system?.close();
    system = undefined;
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'partner-demo', data: { id: 'tr_after_close' } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(1);
  });
});
