import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { EVENT_TYPES, createSecretBox, listEndpoints, loadWebhookWorkerConfig, startDeliveryWorker } from '@payapi/events';
import type { DeliveryWorker } from '@payapi/events';
import { startWebhookReceiver } from '@payapi/events/testing';
import type { WebhookReceiver } from '@payapi/events/testing';
import { createLogger } from '@payapi/platform';
import { createApp, postFrom, valueAfter } from '../testing/app-steps.ts';
import type { CreatedApp } from '../testing/app-steps.ts';
import type { PortalAgent } from '../testing/portal-agent.ts';
import { textOf } from '../testing/portal-agent.ts';
import { startTestPortal } from '../testing/portal-harness.ts';
import type { TestPortal } from '../testing/portal-harness.ts';

let portal: TestPortal;
let receiver: WebhookReceiver;
let worker: DeliveryWorker;

beforeAll(async () => {
  portal = await startTestPortal();
  receiver = await startWebhookReceiver();
  const workerConfig = loadWebhookWorkerConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
  worker = startDeliveryWorker(portal.db, {
    ...workerConfig.delivery, secrets: createSecretBox(workerConfig.secretsKey), logger: createLogger('webhook-worker', 'silent'),
  });
});
afterAll(async () => {
  await worker.stop();
  await receiver.close();
  await portal.close();
});

async function addEndpoint(agent: PortalAgent, app: CreatedApp, url: string, eventTypes: string[]) {
  return postFrom(agent, app.path, `${app.path}/webhooks`, { url, event_types: eventTypes });
}

/** Reloads the app's page until `done` holds for it (deliveries are asynchronous), at most 10 s. */
async function waitForPage(agent: PortalAgent, path: string, done: (html: string) => boolean): Promise<string> {
  for (let tries = 0; ; tries += 1) {
    const { html } = await agent.get(path);
    if (done(html) || tries > 50) return html;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('webhooks on the app\'s page', () => {
  test('the form has Endpoint URL, one checkbox per event type labelled with the type, and Add endpoint', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    expect(app.page.html).toContain('<label for="endpoint_url">Endpoint URL</label>');
    for (const type of EVENT_TYPES) {
      expect(app.page.html).toContain(`<input type="checkbox" id="event-${type}" name="event_types" value="${type}"><label for="event-${type}">${type}</label>`);
    }
    expect(app.page.html).toContain('<button type="submit">Add endpoint</button>');
  });

  test('Add endpoint shows its signing secret once; Send test event is delivered and listed as succeeded; Redeliver sends it again', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const added = await addEndpoint(agent, app, receiver.url, ['transfer.completed', 'webhook.test']);
    expect(added.status).toBe(303);
    const page = await agent.get(added.location as string);
    const secret = valueAfter(page.html, 'Signing secret');
    expect(secret).toMatch(/^whsec_/);
    const endpointId = (await listEndpoints(portal.db, app.clientId))[0]?.id as string;
    expect(textOf(page.html)).toContain(`${receiver.url} Endpoint ${endpointId} , enabled; events: transfer.completed, webhook.test.`);
    expect((await agent.get(app.path)).html).not.toContain(secret);

    const sent = await postFrom(agent, app.path, `${app.path}/webhooks/${endpointId}/test`);
    expect(sent.status).toBe(303);
    const html = await waitForPage(agent, app.path, (text) => text.includes('succeeded (attempt 1)'));
    expect(textOf(html)).toMatch(/Event Status Response status Time Action webhook\.test evt_[0-9a-f]{32} succeeded \(attempt 1\) 200 \d{4}-/);
    const eventId = /\/events\/(evt_[0-9a-f]{32})\/redeliver/.exec(html)?.[1] as string;
    expect(receiver.received.filter((request) => request.headers['webhook-id'] === eventId)).toHaveLength(1);
    const redelivered = await postFrom(agent, app.path, `${app.path}/events/${eventId}/redeliver`);
    expect(redelivered.status).toBe(303);
    const after = await waitForPage(agent, app.path, (text) => text.includes('succeeded (attempt 2)'));
    expect(after).toContain('succeeded (attempt 2)');
    expect(receiver.received.filter((request) => request.headers['webhook-id'] === eventId)).toHaveLength(2);
    expect(portal.logLines.join('\n')).not.toContain(secret);
  });

  test.each([
    ['no event type', { url: 'https://hooks.example/a', event_types: [] }, 'tick at least one event type'],
    ['an unknown event type', { url: 'https://hooks.example/a', event_types: ['money.stolen'] }, 'tick at least one event type'],
    ['a relative URL', { url: '/hooks', event_types: ['webhook.test'] }, 'Enter an absolute endpoint URL'],
    ['a URL with credentials', { url: 'https://user:pw@hooks.example/a', event_types: ['webhook.test'] }, 'is not allowed'],
  ])('refuses %s with 422 and keeps the form', async (_why, form, message) => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const answer = await postFrom(agent, app.path, `${app.path}/webhooks`, form);
    expect(answer.status).toBe(422);
    expect(textOf(answer.html)).toContain(message);
    expect(await listEndpoints(portal.db, app.clientId)).toEqual([]);
  });

  test('refuses private addresses unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS is true', async () => {
    const strict = await startTestPortal({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' });
    try {
      const { agent } = await strict.signUp();
      const app = await createApp(agent);
      const answer = await addEndpoint(agent, app, 'https://127.0.0.1/hooks', ['webhook.test']);
      expect(answer.status).toBe(422);
      expect(textOf(answer.html)).toContain('is not allowed');
    } finally {
      await strict.close();
    }
  });

  test('an app may have at most 10 endpoints', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    for (let i = 0; i < 10; i += 1) expect((await addEndpoint(agent, app, `${receiver.url}/${i}`, ['webhook.test'])).status).toBe(303);
    const answer = await addEndpoint(agent, app, `${receiver.url}/10`, ['webhook.test']);
    expect(answer.status).toBe(422);
    expect(textOf(answer.html)).toContain('at most 10 endpoints');
  });

  test('Delete endpoint removes it; every webhook form without its CSRF token is refused', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    await addEndpoint(agent, app, receiver.url, ['webhook.test']);
    const endpointId = (await listEndpoints(portal.db, app.clientId))[0]?.id as string;
    for (const action of ['webhooks', `webhooks/${endpointId}/test`, `webhooks/${endpointId}/delete`]) {
      expect((await agent.post(`${app.path}/${action}`, { url: receiver.url, event_types: 'webhook.test' })).status).toBe(403);
    }
    expect(await listEndpoints(portal.db, app.clientId)).toHaveLength(1);
    const deleted = await postFrom(agent, app.path, `${app.path}/webhooks/${endpointId}/delete`);
    expect(deleted.status).toBe(303);
    expect(await listEndpoints(portal.db, app.clientId)).toEqual([]);
    expect((await postFrom(agent, app.path, `${app.path}/webhooks/${endpointId}/test`)).status).toBe(404);
    expect((await postFrom(agent, app.path, `${app.path}/events/evt_${'0'.repeat(32)}/redeliver`)).status).toBe(404);
    expect((await postFrom(agent, app.path, `${app.path}/events/not-an-id/redeliver`)).status).toBe(404);
  });
});
