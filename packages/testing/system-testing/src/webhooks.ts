/**
 * Webhook support for the bench and the fault tests: a recording receiver on loopback, endpoints
 * registered the way the resource API registers them, and events appended the way the money path
 * appends them (docs/webhooks.md).
 */
import { appendEvent, createEndpoint, createSecretBox } from '@payapi/events';
import type { Knex } from 'knex';

export { startWebhookReceiver } from '@payapi/events/testing';
export type { ReceivedWebhook, ReceiverAnswer, ReceiverOptions, WebhookReceiver } from '@payapi/events/testing';

/**
 * Registers a webhook endpoint for `clientId` subscribed to `transfer.completed` (loopback allowed),
 * its secret sealed with `secretsKey`: pass the `WEBHOOK_SECRETS_KEY` the worker runs with
 * (`ProductionSystem.env['webhook-worker']`), or it cannot sign.
 *
 * @returns the endpoint's id and its `whsec_` secret
 */
export async function registerWebhookEndpoint(db: Knex, secretsKey: string, input: { clientId: string; url: string }): Promise<{ id: string; secret: string }> {
  const { endpoint, secret } = await createEndpoint(db, { secrets: createSecretBox(secretsKey), urlPolicy: { allowPrivateNetworks: true } },
    { clientId: input.clientId, url: input.url, eventTypes: ['transfer.completed'] });
  return { id: endpoint.id, secret };
}

/**
 * Appends one `transfer.completed` event for `clientId` (`events.append`, as a transfer does; pass
 * a transaction to append several in one),
 * queuing its first attempt to each of the client's endpoints.
 *
 * @returns the event's id (the `webhook-id` the receiver will see)
 */
export async function appendTransferEvent(db: Knex | Knex.Transaction, clientId: string, data: Record<string, unknown>): Promise<string> {
  return appendEvent(db, { type: 'transfer.completed', clientId, data });
}
