import { EventsError } from '../errors.ts';
import { toWireEvent } from '../event-log.ts';
import type { SecretBox } from '../secrets.ts';
import { resolveEndpointUrl } from '../url-policy.ts';
import type { ClaimedDelivery } from './claim.ts';
import type { ConnectionPool } from './connection-pool.ts';
import { postWebhook } from './post-webhook.ts';
import type { PostResult } from './post-webhook.ts';
import type { AttemptOutcome } from './record-outcome.ts';
import { parseRetryAfter } from './retry-schedule.ts';
import type { DeliverySettings } from './settings.ts';
import { signWebhook } from './sign-webhook.ts';

/** Sent with every delivery, so receivers and their logs can tell what called. */
const USER_AGENT = 'payapi-webhooks/1';

/** An attempt's end: an outcome to record, or `unsignable` when this worker cannot open the endpoint's secret (nothing was sent). */
export type AttemptResult = { kind: 'outcome'; outcome: AttemptOutcome } | { kind: 'unsignable'; reason: string };

/**
 * Makes one attempt (docs/webhooks.md, "Delivery"): checks the endpoint's URL again and resolves
 * it (`resolveEndpointUrl`: a name now pointing at a non-public address is refused before any byte
 * is sent), signs the event with the endpoint's secret (and the rotated-out one while it still
 * signs), POSTs it to the checked address (over a kept-alive connection of `connections` to that
 * same address, if any) and classifies the answer: a 2xx is success; a 3xx (never followed), 4xx,
 * 5xx, timeout or connection failure is a failure.
 *
 * @throws only on a bug (an error of `resolveEndpointUrl` other than its refusals)
 */
export async function attemptDelivery(
  claimed: ClaimedDelivery,
  settings: Pick<DeliverySettings, 'environment' | 'urlPolicy' | 'timeoutMs' | 'responseBodyMaxBytes' | 'extraCaPem'>,
  secrets: SecretBox,
  connections?: ConnectionPool,
): Promise<AttemptResult> {
  let signingSecrets: string[];
  try {
    signingSecrets = [claimed.secretSealed, ...(claimed.previousSecretSealed ? [claimed.previousSecretSealed] : [])].map(secrets.unseal);
  } catch (error) {
    return { kind: 'unsignable', reason: error instanceof Error ? error.message : String(error) };
  }
  const startedAt = performance.now();
  let target: { url: URL; address: string };
  try {
    target = await resolveEndpointUrl(claimed.url, settings.urlPolicy);
  } catch (error) {
    if (!(error instanceof EventsError)) throw error;
    return { kind: 'outcome', outcome: { kind: 'failed', failure: `not sent: ${error.message}`, durationMs: performance.now() - startedAt } };
  }
  const body = JSON.stringify(toWireEvent(claimed.event, settings.environment));
  const headers = { ...signWebhook(claimed.event.id, body, signingSecrets, new Date()), 'user-agent': USER_AGENT };
  const result = await postWebhook(target, body, headers, {
    timeoutMs: settings.timeoutMs,
    responseBodyMaxBytes: settings.responseBodyMaxBytes,
    ...(settings.extraCaPem === undefined ? {} : { extraCaPem: settings.extraCaPem }),
  }, connections?.agentFor(target));
  return { kind: 'outcome', outcome: classify(result) };
}

/** A 2xx is success; every other answer, and no answer, is a failure saying why. */
function classify(result: PostResult): AttemptOutcome {
  if (result.kind === 'no-response') return { kind: 'failed', failure: result.failure, durationMs: result.durationMs };
  const { status, durationMs } = result;
  if (status >= 200 && status < 300) return { kind: 'succeeded', status, durationMs };
  const retryAfterMs = parseRetryAfter(result.retryAfter, Date.now());
  return {
    kind: 'failed',
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    failure: status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`,
    durationMs,
  };
}
