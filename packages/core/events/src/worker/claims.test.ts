import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { createSecretBox } from '../secrets.ts';
import { startWebhookReceiver } from '../testing/index.ts';
import type { WebhookReceiver } from '../testing/index.ts';
import { deliveriesOf, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;
let receiver: WebhookReceiver;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
  await database.drop();
});

describe('leases', () => {
  test('an attempt whose lease ran out (its worker died mid-send) is sent again; one whose lease still runs is left to its holder', async () => {
    await registerEndpoint(database.db, 'c-lease', receiver.url);
    const expired = await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-lease', data: {} });
    const held = await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-lease', data: {} });
    await database.db.raw(`UPDATE events.deliveries SET status = 'sending', attempted_at = now(),
        lease_until = CASE WHEN event_id = ? THEN now() - interval '1 second' ELSE now() + interval '1 hour' END
      WHERE event_id IN (?, ?)`, [expired, expired, held]);
    const worker = startTestWorker(database.db);
    try {
      await waitFor('the expired attempt sent', () => receiver.received.some((request) => request.headers['webhook-id'] === expired));
      await sleep(300);
    } finally {
      await worker.stop();
    }
    expect(receiver.received.map((request) => request.headers['webhook-id'])).toEqual([expired]);
    const { rows } = await database.db.raw<{ rows: Array<{ event_id: string; attempt: number; status: string }> }>(
      'SELECT event_id, attempt, status FROM events.deliveries WHERE event_id IN (?, ?) ORDER BY status', [expired, held]);
    expect(rows).toEqual([{ event_id: held, attempt: 1, status: 'sending' }, { event_id: expired, attempt: 1, status: 'succeeded' }]);
  });
});

describe('an endpoint secret the worker cannot open', () => {
  test('(another WEBHOOK_SECRETS_KEY) sends nothing and gives the attempt back, unattempted, for later', async () => {
    const endpoint = await registerEndpoint(database.db, 'c-other-key', receiver.url);
    const otherKey = createSecretBox('another-webhook-secrets-key-0123456789');
    await database.db.raw('UPDATE events.webhook_endpoints SET secret_sealed = ? WHERE id = ?', [otherKey.seal('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), endpoint.id]);
    const before = receiver.connections();
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-other-key', data: {} });
    const worker = startTestWorker(database.db);
    try {
      await waitFor('the attempt given back', async () => {
        const { rows } = await database.db.raw<{ rows: Array<{ due_in_s: number }> }>(
          `SELECT extract(epoch FROM next_attempt_at - now())::float AS due_in_s FROM events.deliveries
            WHERE endpoint_id = ? AND status = 'pending' AND next_attempt_at > now() + interval '30 seconds'`, [endpoint.id]);
        return rows.length === 1;
      });
    } finally {
      await worker.stop();
    }
    expect(receiver.connections()).toBe(before);
    expect(await deliveriesOf(database.db, endpoint.id)).toMatchObject([{ attempt: 1, status: 'pending', response_status: null, failure: null }]);
  });
});
