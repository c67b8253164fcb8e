/**
 * What the worker's tests share: short settings, a silent worker, endpoints registered the way the
 * API registers them, the deliveries table as rows, and a bounded wait. Used by tests only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll } from '@jest/globals';
import { createLogger } from '@payapi/platform';
import type { Knex } from 'knex';
import { createEndpoint } from '../endpoints.ts';
import type { EventType } from '../event-types.ts';
import { createSecretBox } from '../secrets.ts';
import { startWebhookReceiver } from '../testing/index.ts';
import type { WebhookReceiver } from '../testing/index.ts';
import { startDeliveryWorker } from './delivery-worker.ts';
import type { DeliveryWorker, DeliveryWorkerOptions } from './delivery-worker.ts';
import { DELIVERY_LIMITS_DEFAULT } from './settings.ts';
import type { DeliverySettings } from './settings.ts';

export const TEST_SECRETS = createSecretBox('events-tests-secret-0123456789abcdef');

/** Settings for tests: loopback allowed, 200 ms retries, 2 s timeout, a lease with room to claim ahead (9 s), 50 ms polls. */
export function testSettings(overrides: Partial<DeliverySettings> = {}): DeliverySettings {
  return {
    ...DELIVERY_LIMITS_DEFAULT,
    environment: 'sandbox',
    urlPolicy: { allowPrivateNetworks: true },
    retryScheduleMs: [200, 200, 200],
    timeoutMs: 2_000,
    leaseMs: 9_000,
    pollIntervalMs: 50,
    retentionDays: 400,
    ...overrides,
  };
}

/** Starts a worker with {@link testSettings} and a silent logger (no jitter unless `random` is given). */
export function startTestWorker(db: Knex, overrides: Partial<DeliveryWorkerOptions> = {}): DeliveryWorker {
  return startDeliveryWorker(db, { ...testSettings(overrides), secrets: TEST_SECRETS, logger: createLogger('webhook-worker', 'silent'), random: () => 0.5, ...overrides });
}

/**
 * Registers an endpoint for `clientId` as the API does (loopback allowed; a host name that is not
 * an address resolves to 93.184.215.14, a public address) and returns its id and secret.
 */
export async function registerEndpoint(db: Knex, clientId: string, url: string, eventTypes: EventType[] = ['transfer.completed']): Promise<{ id: string; secret: string }> {
  const urlPolicy = { allowPrivateNetworks: true, lookup: async () => ['93.184.215.14'] };
  const { endpoint, secret } = await createEndpoint(db, { secrets: TEST_SECRETS, urlPolicy }, { clientId, url, eventTypes });
  return { id: endpoint.id, secret };
}

/** A delivery row as the tests read it. */
export interface DeliveryRow {
  event_id: string;
  attempt: number;
  status: string;
  response_status: number | null;
  failure: string | null;
  duration_ms: number | null;
}

/** Every attempt to `endpointId`, by event and attempt number. */
export async function deliveriesOf(db: Knex, endpointId: string): Promise<DeliveryRow[]> {
  const { rows } = await db.raw<{ rows: DeliveryRow[] }>(
    `SELECT event_id, attempt, status, response_status, failure, duration_ms FROM events.deliveries
      WHERE endpoint_id = ? ORDER BY event_id, attempt`, [endpointId]);
  return rows;
}

/** An endpoint's status and why. */
export async function endpointState(db: Knex, endpointId: string): Promise<{ status: string; disabled_reason: string | null; failing_since: Date | null }> {
  const { rows } = await db.raw<{ rows: Array<{ status: string; disabled_reason: string | null; failing_since: Date | null }> }>(
    'SELECT status, disabled_reason, failing_since FROM events.webhook_endpoints WHERE id = ?', [endpointId]);
  if (!rows[0]) throw new Error(`no endpoint ${endpointId}`);
  return rows[0];
}

/**
 * Polls `probe` every 20 ms until it returns something other than undefined or false.
 *
 * @throws {Error} naming `what` after `timeoutMs`
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A `receiver(options)` for a test file: starts a loopback webhook receiver ({@link startWebhookReceiver})
 * and closes every one it started after the file's tests (registers an `afterAll`; call it at the
 * top level of the file).
 */
export function receiversOfThisFile(): (options: Parameters<typeof startWebhookReceiver>[0]) => Promise<WebhookReceiver> {
  const receivers: WebhookReceiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });
  return async (options) => {
    const started = await startWebhookReceiver(options);
    receivers.push(started);
    return started;
  };
}
