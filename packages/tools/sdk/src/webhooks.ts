/**
 * Checking a webhook delivery from the bank (Standard Webhooks v1, docs/webhooks.md "Verifying
 * deliveries"), on the `standardwebhooks` package.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { PayApiEvent } from './types.ts';

export { WebhookVerificationError };

/** Request headers as Node (`req.headers`) or the Fetch API (`request.headers`) give them. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: WebhookHeaders, name: string): string {
  if (headers instanceof Headers) return headers.get(name) ?? '';
  const value = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return typeof value === 'string' ? value : value?.[0] ?? '';
}

/**
 * Verifies one delivery and returns its event: the `webhook-signature` (HMAC-SHA256 of
 * `id.timestamp.body`; any of its space-separated signatures may match, as during a secret
 * rotation) over the raw body exactly as received, and a `webhook-timestamp` within 5 minutes of
 * now (replays). Verify before parsing: a JSON parser's output is not the signed bytes. Deduplicate
 * on the event's `id` (also `webhook-id`): deliveries are at least once.
 *
 * @param rawBody the request body as received (a Buffer or string; never re-serialised JSON)
 * @param headers the request's headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
 * @param secret the endpoint's signing secret, `whsec_…`, as registration or rotation returned it
 * @returns the event, `data` typed by `type`
 * @throws {WebhookVerificationError} a missing header, no matching signature, a timestamp too old or
 *   too new, or a body that is not a JSON event: answer 400 and do not act on it
 */
export function verifyWebhook(rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string): PayApiEvent {
  const webhook = new Webhook(secret);
  let event: unknown;
  try {
    event = webhook.verify(rawBody, {
      'webhook-id': header(headers, 'webhook-id'),
      'webhook-timestamp': header(headers, 'webhook-timestamp'),
      'webhook-signature': header(headers, 'webhook-signature'),
    });
  } catch (error) {
    if (error instanceof SyntaxError) throw new WebhookVerificationError('the signed body is not JSON');
    throw error;
  }
  if (typeof event !== 'object' || event === null || typeof (event as { id?: unknown }).id !== 'string' || typeof (event as { type?: unknown }).type !== 'string') {
    throw new WebhookVerificationError('the signed body is not an event');
  }
  return event as PayApiEvent;
}
