import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { Webhook } from 'standardwebhooks';
import { rotateEndpointSecret } from '../endpoints.ts';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { startWebhookReceiver } from '../testing/index.ts';
import type { ReceivedWebhook, WebhookReceiver } from '../testing/index.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { TEST_SECRETS, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;
let worker: DeliveryWorker;
let receiver: WebhookReceiver;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
  receiver = await startWebhookReceiver();
  worker = startTestWorker(database.db);
});
afterAll(async () => {
  await worker.stop();
  await receiver.close();
  await database.drop();
});

/** Whether `secret` alone verifies the request (standardwebhooks, as a receiver would). */
function verifiesWith(secret: string, request: ReceivedWebhook): boolean {
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

/** The signatures of `webhook-signature`, space-separated. */
function signaturesOf(request: ReceivedWebhook): string[] {
  return String(request.headers['webhook-signature']).split(' ');
}

async function deliverOne(clientId: string): Promise<ReceivedWebhook> {
  const eventId = await appendEvent(database.db, { type: 'transfer.completed', clientId, data: {} });
  return waitFor(`the delivery of ${eventId}`, () => receiver.received.find((request) => request.headers['webhook-id'] === eventId));
}

describe('secret rotation', () => {
  test('during the overlap both secrets sign (each alone verifies); after it only the new one does', async () => {
    const endpoint = await registerEndpoint(database.db, 'c-rotate', receiver.url);
    const before = await deliverOne('c-rotate');
    expect(signaturesOf(before)).toHaveLength(1);
    expect(verifiesWith(endpoint.secret, before)).toBe(true);

    const { secret: rotated } = await rotateEndpointSecret(database.db, { secrets: TEST_SECRETS }, 'c-rotate', endpoint.id, 1);
    const during = await deliverOne('c-rotate');
    expect(signaturesOf(during)).toHaveLength(2);
    expect(verifiesWith(endpoint.secret, during)).toBe(true);
    expect(verifiesWith(rotated, during)).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = await deliverOne('c-rotate');
    expect(signaturesOf(after)).toHaveLength(1);
    expect(verifiesWith(rotated, after)).toBe(true);
    expect(verifiesWith(endpoint.secret, after)).toBe(false);
  });
});
