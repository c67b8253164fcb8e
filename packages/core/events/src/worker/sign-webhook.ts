import { createHmac } from 'node:crypto';

/** `whsec_` before the base64 of a Standard Webhooks secret. */
const SECRET_PREFIX = 'whsec_';

/**
 * The headers that make a delivery a Standard Webhooks message (Standard Webhooks v1.0.0,
 * "Signature scheme"): `webhook-id` (the event id, the same on every retry: the receiver's
 * idempotency key), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret, space-separated, so during a
 * rotation both the new and the rotated-out secret sign and the receiver may hold either). The HMAC
 * is node:crypto's (the `standardwebhooks` package, which the tests verify with, computes it in
 * JavaScript, several times slower).
 *
 * @param secrets `whsec_<base64>` secrets, the current one first
 * @param at the attempt's time (whole seconds are signed)
 */
export function signWebhook(eventId: string, body: string, secrets: readonly string[], at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1_000));
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
    return `v1,${createHmac('sha256', key).update(`${eventId}.${timestamp}.`).update(body).digest('base64')}`;
  });
  return {
    'content-type': 'application/json',
    'webhook-id': eventId,
    'webhook-timestamp': timestamp,
    'webhook-signature': signatures.join(' '),
  };
}
