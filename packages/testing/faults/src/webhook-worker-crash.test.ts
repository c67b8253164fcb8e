/**
 * `kill -9` of the webhook delivery worker (docs/webhooks.md, "Delivery") during a burst of events,
 * then a restart: every event must reach the receiver at least once. The attempts the killed
 * process held (`sending`, leased to it) are sent again by the new process once their lease runs
 * out (`WEBHOOKS_LEASE_S`, 20 s here, its minimum); duplicates may come only from those.
 *
 * The receiver answers after 30 ms, so the worker (4 attempts in flight per endpoint) falls behind
 * the burst and always holds attempts when it is killed.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { appendTransferEvent, registerWebhookEndpoint, startServiceProcess, startWebhookReceiver } from '@payapi/system-testing';
import type { ServiceProcess, WebhookReceiver } from '@payapi/system-testing';
import type { Knex } from 'knex';
import pMap from 'p-map';
import { histogram, quantileMs, recordFigures } from './support/figures.ts';
import { pick } from './support/form.ts';

const SHAPE = pick({ events: 1_000, endpoints: 4, kills: 1 }, { events: 10_000, endpoints: 8, kills: 3 });
const LEASE_SECONDS = 20;
const ANSWER_DELAY_MS = 30;
/** Attempts a worker keeps in flight per endpoint (docs/webhooks.md, "Delivery"). */
const SLOTS_PER_ENDPOINT = 4;
/** Events are appended 10 to a transaction, 4 transactions at once: a burst the worker cannot keep up with. */
const EVENTS_PER_TRANSACTION = 10;
const APPEND_CONCURRENCY = 4;

let database: TestDatabase;
let db: Knex;
let receiver: WebhookReceiver;
let worker: ServiceProcess | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: APPEND_CONCURRENCY + 2, applicationName: 'payapi-faults' });
  receiver = await startWebhookReceiver({ answer: () => ({ status: 200, delayMs: ANSWER_DELAY_MS }) });
  env = {
    NODE_ENV: 'production', DATABASE_URL: database.url, LOG_LEVEL: 'warn',
    WEBHOOK_SECRETS_KEY: randomBytes(32).toString('base64url'), WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOKS_LEASE_S: String(LEASE_SECONDS),
  };
  worker = await startServiceProcess('webhook-worker', '', env); // migrates schema events
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await db?.destroy();
  await database?.drop();
});

/** First arrival (`performance.now()`) of each distinct `webhook-id`, read incrementally from the receiver's log. */
const firstArrival = new Map<string, number>();
let arrivalsRead = 0;
function firstArrivals(): Map<string, number> {
  for (; arrivalsRead < receiver.received.length; arrivalsRead += 1) {
    const request = receiver.received[arrivalsRead];
    const id = String(request?.headers['webhook-id']);
    if (request && !firstArrival.has(id)) firstArrival.set(id, request.atMs);
  }
  return firstArrival;
}

/** Ids of the attempts now `sending`: after a kill, those the dead process held (and earlier ones still leased). */
async function sendingIds(): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM events.deliveries WHERE status = 'sending'`);
  return rows.map((row) => row.id);
}

async function countDeliveries(status: string): Promise<number> {
  const { rows } = await db.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM events.deliveries WHERE status = ?', [status]);
  return rows[0]?.n ?? 0;
}

describe('kill -9 of the webhook worker during a burst of events', () => {
  test('loses no event: after a restart every event reaches the receiver at least once', async () => {
    for (let index = 0; index < SHAPE.endpoints; index += 1) {
      await registerWebhookEndpoint(db, env.WEBHOOK_SECRETS_KEY as string, { clientId: `c-${index}`, url: `${receiver.url}?endpoint=${index}` });
    }
    const appendedAt = new Map<string, number>();
    const startedAt = performance.now();
    const batches = Array.from({ length: SHAPE.events / EVENTS_PER_TRANSACTION }, (_, batch) => batch);
    const appending = pMap(batches, async (batch) => {
      const at = performance.now();
      const ids = await db.transaction(async (trx) => {
        const appended: string[] = [];
        for (let offset = 0; offset < EVENTS_PER_TRANSACTION; offset += 1) {
          const index = batch * EVENTS_PER_TRANSACTION + offset;
          appended.push(await appendTransferEvent(trx, `c-${index % SHAPE.endpoints}`, { index }));
        }
        return appended;
      });
      for (const id of ids) appendedAt.set(id, at);
    }, { concurrency: APPEND_CONCURRENCY });

    const kills: Array<{ receivedAtKill: number; orphaned: number; restartMs: number }> = [];
    const orphans = new Set<string>();
    for (let kill = 1; kill <= SHAPE.kills; kill += 1) {
      const threshold = (SHAPE.events * kill) / (SHAPE.kills + 1);
      while (firstArrivals().size < threshold) await sleep(5);
      const receivedAtKill = firstArrivals().size;
      await worker?.crash();
      // What the dead process held: leased to it, to be sent again when the lease runs out.
      const orphaned = (await sendingIds()).filter((id) => !orphans.has(id));
      for (const id of orphaned) orphans.add(id);
      const restartAt = performance.now();
      worker = await startServiceProcess('webhook-worker', '', env);
      kills.push({ receivedAtKill, orphaned: orphaned.length, restartMs: Math.round(performance.now() - restartAt) });
    }
    await appending;
    const appendedMs = performance.now() - startedAt;

    const deadline = performance.now() + (LEASE_SECONDS + 30) * 1_000;
    while ((firstArrivals().size < SHAPE.events || await countDeliveries('succeeded') < SHAPE.events) && performance.now() < deadline) await sleep(100);
    const doneMs = performance.now() - startedAt;

    const first = firstArrivals();
    const lagsMs = [...first].map(([id, at]) => at - (appendedAt.get(id) ?? at));
    const { rows: attempts } = await db.raw<{ rows: Array<{ attempt: number; status: string; n: number }> }>(
      'SELECT attempt, status, count(*)::int AS n FROM events.deliveries GROUP BY attempt, status ORDER BY attempt, status');
    const duplicates = receiver.received.length - first.size;
    recordFigures('webhook-worker-crash', {
      events: SHAPE.events, endpoints: SHAPE.endpoints, answerDelayMs: ANSWER_DELAY_MS, leaseSeconds: LEASE_SECONDS, kills,
      appendedMs: Math.round(appendedMs), allDeliveredMs: Math.round(doneMs),
      lagP50Ms: quantileMs(lagsMs, 0.5), lagP99Ms: quantileMs(lagsMs, 0.99), lagMaxMs: quantileMs(lagsMs, 1),
      received: receiver.received.length, distinct: first.size, duplicates,
      concurrentMax: receiver.concurrentMax(),
      attempts: histogram(attempts.flatMap((row) => Array.from({ length: row.n }, () => `${row.attempt} ${row.status}`))),
    });

    // Each kill caught attempts in flight, and the restarted worker took over.
    for (const kill of kills) expect(kill.orphaned).toBeGreaterThan(0);
    // Every event arrived, each exactly as the one attempt it needed: nothing failed, nothing is left.
    expect(first.size).toBe(SHAPE.events);
    expect(new Set(first.keys())).toEqual(new Set(appendedAt.keys()));
    expect(attempts).toEqual([{ attempt: 1, status: 'succeeded', n: SHAPE.events }]);
    // Duplicates only from attempts the dead process held; never more than an endpoint's slots (4) in flight to it.
    expect(duplicates).toBeLessThanOrEqual(orphans.size);
    expect(receiver.concurrentMax()).toBeLessThanOrEqual(SLOTS_PER_ENDPOINT * SHAPE.endpoints);
  }, pick(120_000, 300_000));
});
