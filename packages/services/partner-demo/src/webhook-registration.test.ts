import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { PayApiProblem } from '@payapi/sdk';
import type { WebhookEndpoint } from '@payapi/sdk';
import { createLogger } from './logger.ts';
import { SUBSCRIBED_EVENT_TYPES, registerWebhookEndpoint, startWebhookRegistration } from './webhook-registration.ts';
import type { WebhookRegistrationParts } from './webhook-registration.ts';

const PUBLIC_URL = 'http://127.0.0.1:4002';

/** A bank with `endpoints` registered for the client, recording every call. */
function fakeBank(endpoints: WebhookEndpoint[], fail: Array<Error | undefined> = []) {
  const calls: string[] = [];
  const secrets: string[] = [];
  const next = (): void => {
    const error = fail.shift();
    if (error) throw error;
  };
  const parts = {
    oauth: { clientCredentialsToken: async (scope: string) => { calls.push(`token ${scope}`); next(); return { accessToken: 'cc-token' }; } },
    bank: {
      listWebhookEndpoints: async () => { calls.push('list'); return endpoints; },
      createWebhookEndpoint: async (_credential: unknown, input: { url: string; event_types: string[] }) => {
        calls.push(`create ${input.url} ${input.event_types.join(',')}`);
        return { id: 'we_new', secret: 'whsec_created' };
      },
      updateWebhookEndpoint: async (_credential: unknown, id: string, changes: { status?: string }) => { calls.push(`update ${id} ${changes.status ?? ''}`); },
      rotateWebhookSecret: async (_credential: unknown, id: string) => { calls.push(`rotate ${id}`); return 'whsec_rotated'; },
      deleteWebhookEndpoint: async (_credential: unknown, id: string) => { calls.push(`delete ${id}`); },
    },
    inbox: { setSecret: (secret: string) => { secrets.push(secret); } },
  };
  return { calls, secrets, parts };
}

const endpoint = (id: string, url: string): WebhookEndpoint => ({
  id, url, event_types: ['grant.revoked'], status: 'disabled', description: null, disabled_reason: null, created_at: '2026-12-06T09:30:00.000000Z',
});

describe('registerWebhookEndpoint', () => {
  test('creates the endpoint when the bank has none with its URL, subscribed to the three events', async () => {
    const { calls, secrets, parts } = fakeBank([endpoint('we_other', 'https://elsewhere.example/h')]);
    expect(await registerWebhookEndpoint({ publicUrl: PUBLIC_URL, ...parts })).toBe('we_new');
    expect(calls).toEqual(['token webhooks:manage', 'list', `create ${PUBLIC_URL}/webhooks ${SUBSCRIBED_EVENT_TYPES.join(',')}`]);
    expect(SUBSCRIBED_EVENT_TYPES).toEqual(['transfer.completed', 'transaction.booked', 'grant.revoked']);
    expect(secrets).toEqual(['whsec_created']);
  });

  test('reuses an endpoint with its URL (enabled again, resubscribed) and rotates its secret, since this run does not know it; duplicates go', async () => {
    const { calls, secrets, parts } = fakeBank([endpoint('we_a', `${PUBLIC_URL}/webhooks`), endpoint('we_b', `${PUBLIC_URL}/webhooks`)]);
    expect(await registerWebhookEndpoint({ publicUrl: PUBLIC_URL, ...parts })).toBe('we_a');
    expect(calls).toEqual(['token webhooks:manage', 'list', 'delete we_b', 'update we_a enabled', 'rotate we_a']);
    expect(secrets).toEqual(['whsec_rotated']);
  });
});

describe('startWebhookRegistration', () => {
  const logged = (): { lines: string[]; logger: WebhookRegistrationParts['logger'] } => {
    const lines: string[] = [];
    return { lines, logger: createLogger('info', new Writable({ write: (chunk: Buffer, _encoding, done) => { lines.push(chunk.toString('utf8')); done(); } })) };
  };

  test('retries while the bank does not answer, then registers', async () => {
    const { calls, secrets, parts } = fakeBank([], [new TypeError('fetch failed'), new TypeError('fetch failed')]);
    const { lines, logger } = logged();
    await startWebhookRegistration({ publicUrl: PUBLIC_URL, ...parts, logger, attemptDelaysMs: [0, 5, 5, 5] }).done;
    expect(calls.filter((call) => call.startsWith('token'))).toHaveLength(3);
    expect(secrets).toEqual(['whsec_created']);
    expect(lines.join('')).toMatch(/webhook endpoint registered/);
  });

  test('gives up at once with a warning when the bank refuses (4xx), and never throws', async () => {
    const refusal = new PayApiProblem(422, { code: 'webhook_url_not_allowed' }, new Headers());
    const { calls, secrets, parts } = fakeBank([], [refusal]);
    const { lines, logger } = logged();
    await startWebhookRegistration({ publicUrl: PUBLIC_URL, ...parts, logger, attemptDelaysMs: [0, 5, 5] }).done;
    expect(calls).toEqual(['token webhooks:manage']);
    expect(secrets).toEqual([]);
    expect(lines.join('')).toMatch(/webhook endpoint not registered: the dashboard shows no notifications/);
  });

  test('gives up after the last attempt, and stop() ends the waiting at once', async () => {
    const failing = fakeBank([], [new TypeError('fetch failed'), new TypeError('fetch failed')]);
    await startWebhookRegistration({ publicUrl: PUBLIC_URL, ...failing.parts, logger: logged().logger, attemptDelaysMs: [0, 5] }).done;
    expect(failing.secrets).toEqual([]);
    const waiting = fakeBank([]);
    const registration = startWebhookRegistration({ publicUrl: PUBLIC_URL, ...waiting.parts, logger: logged().logger, attemptDelaysMs: [60_000] });
    registration.stop();
    await registration.done;
    expect(waiting.calls).toEqual([]);
  });
});
