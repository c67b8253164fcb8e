import { setTimeout as sleep } from 'node:timers/promises';
import { createEndpoint, createSecretBox, deleteEndpoint } from '@payapi/events';
import { startWebhookReceiver } from '@payapi/system-testing';
import { measureLoad, servicePids } from '../context.ts';
import type { BenchContext } from '../context.ts';
import { latencyPercentiles } from '../percentiles.ts';
import { compareRates } from '../row.ts';
import { BOUNDS } from '../bounds.ts';
import { measureDistinctTransfers, transferRequests } from './transfers.ts';

const TARGET = 0.85;
/** After the row, how long the worker may take to drain what was queued, ms. */
const DRAIN_TIMEOUT_MS = 120_000;

/**
 * The `transfers` load with a webhook endpoint of the partner app subscribed to
 * `transfer.completed` and `transaction.booked` (each transfer gives one of each: the debit of a
 * consented account), delivered by the worker process to a receiver in this process on loopback
 * that answers 200 at once. Beside it, the plain `transfers` row of this run (measured again when
 * `transfers` did not run): the events are appended on both rows (they are part of booking); this
 * row adds their delivery attempts, the worker's sending and the receiver. The note gives the
 * delivery lag (the event's `created_at` to its arrival at the receiver, wall clock) and the events
 * delivered per second while the load ran.
 */
export async function webhooksScenario(context: BenchContext): Promise<void> {
  const reference = context.rows.find((row) => row.id === 'transfers')
    ?? await measureDistinctTransfers(context, { id: 'webhooks:reference', scenario: 'webhooks', role: 'reference' });
  const { system, partner, db } = context.prepared;
  const lagsMs: number[] = [];
  let received = 0;
  const receiver = await startWebhookReceiver({
    answer: (request) => {
      received += 1;
      const createdAt = Date.parse((JSON.parse(request.body) as { created_at: string }).created_at);
      if (Number.isFinite(createdAt)) lagsMs.push(Date.now() - createdAt);
      return { status: 200 };
    },
  });
  const secretsKey = system.env['webhook-worker'].WEBHOOK_SECRETS_KEY as string;
  const { endpoint } = await createEndpoint(db, { secrets: createSecretBox(secretsKey), urlPolicy: { allowPrivateNetworks: true } },
    { clientId: partner.client_id, url: receiver.url, eventTypes: ['transfer.completed', 'transaction.booked'] });
  try {
    const startedMs = Date.now();
    const measured = await measureLoad(context, {
      id: 'webhooks', scenario: 'webhooks', role: 'measured',
      label: 'POST /v1/transfers as in transfers, webhook endpoint subscribed to transfer.completed and transaction.booked, loopback receiver',
    }, { url: system.api.url, requestsFor: transferRequests(context), expected: {} },
    { ...servicePids(context), 'webhook-worker': system.worker.pid });
    const loadSeconds = (Date.now() - startedMs) / 1000;
    const duringLoad = received;
    const drainMs = await drained(context, endpoint.id);
    const lag = latencyPercentiles(lagsMs);
    measured.note = `delivery lag p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms over ${received} deliveries; `
      + `${Math.round(duringLoad / loadSeconds)} events delivered/s while the load ran (warm-up included); backlog drained ${Math.round(drainMs)} ms after the row`;
    context.log(`webhooks: ${measured.note}`);
    context.comparisons.push({
      scenario: 'webhooks', measuredId: measured.id, referenceId: reference.id,
      ...compareRates(measured.perSecond, reference.perSecond, TARGET), target: TARGET, bound: BOUNDS.webhooks,
    });
  } finally {
    await deleteEndpoint(db, partner.client_id, endpoint.id);
    await receiver.close();
  }
}

/** Waits until no attempt to the endpoint is pending or being sent; returns how long that took, ms. */
async function drained(context: BenchContext, endpointId: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < DRAIN_TIMEOUT_MS) {
    const { rows } = await context.prepared.db.raw<{ rows: Array<{ n: number }> }>(
      `SELECT count(*)::int AS n FROM events.deliveries WHERE endpoint_id = ? AND status IN ('pending', 'sending')`, [endpointId]);
    if ((rows[0]?.n ?? 0) === 0) return performance.now() - started;
    await sleep(200);
  }
  throw new Error(`webhooks: deliveries still queued ${DRAIN_TIMEOUT_MS / 1000} s after the row`);
}
