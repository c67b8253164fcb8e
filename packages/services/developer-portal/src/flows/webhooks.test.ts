import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { EVENT_TYPES, createSecretBox, listEndpoints, loadWebhookWorkerConfig, startDeliveryWorker } from '@payapi/events';
import type { DeliveryWorker } from '@payapi/events';
import { startWebhookReceiver } from '@payapi/events/testing';
import type { WebhookReceiver } from '@payapi/events/testing';
import { createLogger } from '@payapi/platform';
import { createApp, postFrom, valueAfter } from '../testing/app-steps.ts';
import type { CreatedApp } from '../testing/app-steps.ts';
import { errorSummaryOf, fieldErrorOf, startTagOf } from '../testing/form-errors.ts';
import type { PortalAgent } from '../testing/portal-agent.ts';
import { csrfOf, textOf } from '../testing/portal-agent.ts';
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
    ['no event type', { url: 'https://hooks.example/a', event_types: [] }, [{ href: '#event-transfer.completed', text: 'Tick at least one event type.' }]],
    ['an unknown event type', { url: 'https://hooks.example/a', event_types: ['money.stolen'] }, [{ href: '#event-transfer.completed', text: 'Tick only event types from the list.' }]],
    ['no URL', { url: '  ', event_types: ['webhook.test'] }, [{ href: '#endpoint_url', text: 'Enter the endpoint URL, such as http://localhost:8080/hooks.' }]],
    ['a relative URL', { url: '/hooks', event_types: ['webhook.test'] }, [{ href: '#endpoint_url', text: 'Enter the endpoint URL as an absolute URL, such as http://localhost:8080/hooks.' }]],
    ['a relative URL and no event type', { url: '/hooks', event_types: [] }, [
      { href: '#endpoint_url', text: 'Enter the endpoint URL as an absolute URL, such as http://localhost:8080/hooks.' },
      { href: '#event-transfer.completed', text: 'Tick at least one event type.' },
    ]],
    ['a URL with credentials', { url: 'https://user:pw@hooks.example/a', event_types: ['webhook.test'] }, [{
      href: '#endpoint_url',
      text: 'Endpoint URL not allowed: the endpoint URL must not carry credentials. This deployment takes https or http URLs, localhost and private networks included.',
    }]],
  ])('portal trial: refuses %s with 422, naming what is wrong and only that, and keeps the form', async (_why, form, expected) => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const answer = await postFrom(agent, app.path, `${app.path}/webhooks`, form);
    expect(answer.status).toBe(422);
    expect(errorSummaryOf(answer.html)).toEqual(expected);
    const urlWrong = expected.some((item) => item.href === '#endpoint_url');
    const typesWrong = expected.some((item) => item.href === '#event-transfer.completed');
    expect(startTagOf(answer.html, 'endpoint_url')?.includes('aria-invalid="true"')).toBe(urlWrong);
    expect(startTagOf(answer.html, 'event-webhook.test')?.includes('aria-invalid="true"')).toBe(typesWrong);
    expect(fieldErrorOf(answer.html, 'endpoint_url-error')).toBe(urlWrong ? `Error: ${expected[0]?.text}` : undefined);
    expect(fieldErrorOf(answer.html, 'event-types-error')).toBe(typesWrong ? `Error: ${expected.at(-1)?.text}` : undefined);
    expect(answer.html).toContain(`value="${form.url.trim()}"`);
    expect(await listEndpoints(portal.db, app.clientId)).toEqual([]);
  });

  test('portal trial: a refused Add endpoint opens with an error summary at the top, focused, linking to the field, which points at its message', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const { html } = await postFrom(agent, app.path, `${app.path}/webhooks`, { url: 'ftp://hooks.example/a', event_types: ['webhook.test'] });
    expect(html).toContain('<title>Error: Budget Buddy');
    const summary = html.indexOf('<div class="error-summary" id="error-summary" tabindex="-1" autofocus>');
    expect(summary).toBeGreaterThan(html.indexOf('<main>'));
    expect(summary).toBeLessThan(html.indexOf('<h1>'));
    expect(html.slice(summary, html.indexOf('</div>', summary))).toContain('<div role="alert">');
    expect(errorSummaryOf(html)).toEqual([{
      href: '#endpoint_url',
      text: 'Endpoint URL not allowed: the endpoint URL must use https or http. This deployment takes https or http URLs, localhost and private networks included.',
    }]);
    const input = startTagOf(html, 'endpoint_url') as string;
    expect(input).toContain('aria-invalid="true"');
    expect(input).toContain('aria-describedby="endpoint_url-error endpoint-hint"');
    expect(fieldErrorOf(html, 'endpoint_url-error')).toBe(`Error: ${errorSummaryOf(html)[0]?.text}`);
    // The page as it is without errors: no summary, nothing marked.
    const clean = (await agent.get(app.path)).html;
    expect(errorSummaryOf(clean)).toEqual([]);
    expect(clean).not.toContain('aria-invalid');
    expect(startTagOf(clean, 'endpoint_url')).toContain('aria-describedby="endpoint-hint"');
  });

  test('portal trial: the Endpoint URL hint and refusals follow WEBHOOKS_ALLOW_PRIVATE_NETWORKS', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const hint = (html: string): string => textOf(/<p class="hint" id="endpoint-hint">([^<]*)<\/p>/.exec(html)?.[1] ?? '');
    expect(hint(app.page.html)).toBe('https or http: this deployment also sends to localhost and private networks (such as http://localhost:8080/hooks). Deliveries are signed per Standard Webhooks.');
    expect(hint(app.page.html)).not.toMatch(/public/);
    const strict = await startTestPortal({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' });
    try {
      const { agent: strictAgent } = await strict.signUp();
      const strictApp = await createApp(strictAgent);
      expect(hint(strictApp.page.html)).toBe('https, on a host whose addresses are all public (not localhost or a private network). Deliveries are signed per Standard Webhooks.');
      const loopback = await addEndpoint(strictAgent, strictApp, 'https://127.0.0.1/hooks', ['webhook.test']);
      expect(loopback.status).toBe(422);
      expect(errorSummaryOf(loopback.html)).toEqual([{
        href: '#endpoint_url',
        text: 'Endpoint URL not allowed: the endpoint host resolves to a loopback, private, link-local or otherwise non-public address. This deployment takes https URLs on public addresses only.',
      }]);
      const plain = await addEndpoint(strictAgent, strictApp, 'http://localhost:8080/hooks', ['webhook.test']);
      expect(errorSummaryOf(plain.html)[0]?.text).toBe('Endpoint URL not allowed: the endpoint URL must use https. This deployment takes https URLs on public addresses only.');
      expect(errorSummaryOf((await addEndpoint(strictAgent, strictApp, 'hooks', ['webhook.test'])).html)[0]?.text)
        .toBe('Enter the endpoint URL as an absolute URL, such as https://hooks.example.com/payapi.');
      expect(await listEndpoints(strict.db, strictApp.clientId)).toEqual([]);
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
    expect(errorSummaryOf(answer.html)).toEqual([{ href: null, text: 'An app may have at most 10 endpoints: delete one first.' }]);
    expect(fieldErrorOf(answer.html, 'webhooks-form-error')).toBe('Error: An app may have at most 10 endpoints: delete one first.');
    expect(answer.html).not.toContain('aria-invalid');
  });

  test('portal trial: with several endpoints, each one\'s Send test event, Delete endpoint and Redeliver name it for screen readers', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const urls = [`${receiver.url}/first`, `${receiver.url}/second`];
    for (const url of urls) await addEndpoint(agent, app, url, ['webhook.test']);
    const endpoints = await listEndpoints(portal.db, app.clientId);
    for (const endpoint of endpoints) await postFrom(agent, app.path, `${app.path}/webhooks/${endpoint.id}/test`);
    const html = await waitForPage(agent, app.path, (text) => (text.match(/succeeded \(attempt 1\)/g) ?? []).length >= 2);
    for (const url of urls) {
      expect(html).toContain(`<button type="submit">Send test event<span class="visually-hidden"> to ${url}</span></button>`);
      expect(html).toContain(`<button type="submit" class="secondary">Delete endpoint<span class="visually-hidden"> ${url}</span></button>`);
    }
    const events = [...html.matchAll(/\/events\/(evt_[0-9a-f]{32})\/redeliver/g)].map((match) => match[1] as string);
    expect(new Set(events).size).toBe(2);
    for (const eventId of events) {
      expect(html).toContain(`<button type="submit" class="secondary">Redeliver<span class="visually-hidden"> event ${eventId} (webhook.test)</span></button>`);
    }
  });

  test('Delete endpoint asks first: its button leads to a confirmation page, whose Delete endpoint removes it; every webhook form without its CSRF token is refused', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    await addEndpoint(agent, app, receiver.url, ['webhook.test']);
    const endpointId = (await listEndpoints(portal.db, app.clientId))[0]?.id as string;
    const confirmPath = `${app.path}/webhooks/${endpointId}/delete`;
    for (const action of ['webhooks', `webhooks/${endpointId}/test`, `webhooks/${endpointId}/delete`]) {
      expect((await agent.post(`${app.path}/${action}`, { url: receiver.url, event_types: 'webhook.test', confirm: 'yes' })).status).toBe(403);
    }
    expect(await listEndpoints(portal.db, app.clientId)).toHaveLength(1);

    const pressed = await postFrom(agent, app.path, confirmPath);
    expect(pressed.status).toBe(303);
    expect(pressed.location).toBe(confirmPath);
    expect(await listEndpoints(portal.db, app.clientId)).toHaveLength(1);
    const confirmation = await agent.get(confirmPath);
    expect(confirmation.status).toBe(200);
    expect(textOf(confirmation.html)).toContain(`Delete the endpoint? The endpoint ${receiver.url} of Budget Buddy (events: webhook.test) is deleted`);
    expect(confirmation.html).toContain(`<form method="post" action="${confirmPath}">`);
    expect(confirmation.html).toContain('<input type="hidden" name="confirm" value="yes">\n  <button type="submit" class="danger">Delete endpoint</button>');
    expect((await agent.post(confirmPath, { confirm: 'yes' })).status).toBe(403);

    const deleted = await agent.post(confirmPath, { csrf: csrfOf(confirmation.html, confirmPath), confirm: 'yes' });
    expect(deleted.status).toBe(303);
    expect(deleted.location).toBe(`${app.path}?done=endpoint-deleted#webhooks`);
    expect(await listEndpoints(portal.db, app.clientId)).toEqual([]);
    expect((await agent.get(confirmPath)).status).toBe(404);
    expect((await postFrom(agent, app.path, confirmPath)).status).toBe(404);
    expect((await postFrom(agent, app.path, `${app.path}/webhooks/${endpointId}/test`)).status).toBe(404);
    expect((await postFrom(agent, app.path, `${app.path}/events/evt_${'0'.repeat(32)}/redeliver`)).status).toBe(404);
    expect((await postFrom(agent, app.path, `${app.path}/events/not-an-id/redeliver`)).status).toBe(404);
    expect((await agent.get(`${app.path}/webhooks/not-an-id/delete`)).status).toBe(404);
  });
});
