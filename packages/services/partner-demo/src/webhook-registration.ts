/**
 * At start, the partner demo registers `${PARTNER_DEMO_URL}/webhooks` with the bank as its webhook
 * endpoint (the bank's docs/webhooks.md, "Registering an endpoint"), with its own client-credentials
 * token (scope `webhooks:manage`). Once: an endpoint with that URL is reused (subscribed to the
 * events below again, enabled again) and given a new secret, since the secret of an earlier run is
 * gone with that run's memory; the old one keeps signing beside it for 24 h. The bank may not be up
 * yet: attempts are retried for about two minutes, then given up with a warning. The app works
 * without notifications either way.
 */
import * as client from 'openid-client';
import type { Logger } from 'pino';
import { PayApiProblem } from '@payapi/sdk';
import type { EventType } from '@payapi/sdk';
import type { BankApi } from './bank-api.ts';
import type { OAuthClient } from './oauth.ts';
import type { WebhookInbox } from './webhook-inbox.ts';

/** What the dashboard shows. */
export const SUBSCRIBED_EVENT_TYPES: EventType[] = ['transfer.completed', 'transaction.booked', 'grant.revoked'];
/** Waits before each attempt, ms: the first at once, the last about two minutes after start. */
const ATTEMPT_DELAYS_MS = [0, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 60_000];

export interface WebhookRegistrationParts {
  /** The partner demo's public base URL; the endpoint is `${publicUrl}/webhooks`. */
  publicUrl: string;
  oauth: Pick<OAuthClient, 'clientCredentialsToken'>;
  bank: Pick<BankApi, 'listWebhookEndpoints' | 'createWebhookEndpoint' | 'updateWebhookEndpoint' | 'rotateWebhookSecret' | 'deleteWebhookEndpoint'>;
  inbox: Pick<WebhookInbox, 'setSecret'>;
  logger: Logger;
  /** Attempt delays, ms (tests shorten them). */
  attemptDelaysMs?: readonly number[];
}

/**
 * Registers the endpoint once and hands its secret to the inbox.
 *
 * @returns the endpoint id
 * @throws {PayApiProblem} or openid-client's errors, as the bank answered
 */
export async function registerWebhookEndpoint(parts: Omit<WebhookRegistrationParts, 'logger' | 'attemptDelaysMs'>): Promise<string> {
  const url = `${parts.publicUrl}/webhooks`;
  const token = await parts.oauth.clientCredentialsToken('webhooks:manage');
  const [kept, ...duplicates] = (await parts.bank.listWebhookEndpoints(token)).filter((endpoint) => endpoint.url === url);
  for (const duplicate of duplicates) await parts.bank.deleteWebhookEndpoint(token, duplicate.id);
  if (!kept) {
    const created = await parts.bank.createWebhookEndpoint(token, { url, event_types: SUBSCRIBED_EVENT_TYPES, description: 'Partner Demo notifications' });
    parts.inbox.setSecret(created.secret);
    return created.id;
  }
  await parts.bank.updateWebhookEndpoint(token, kept.id, { event_types: SUBSCRIBED_EVENT_TYPES, status: 'enabled' });
  parts.inbox.setSecret(await parts.bank.rotateWebhookSecret(token, kept.id));
  return kept.id;
}

/**
 * A refusal that another attempt would not change: the bank said no (4xx: a URL it does not allow,
 * the endpoint limit, a scope the client lacks), rather than not answering.
 */
function isFinal(error: unknown): boolean {
  if (error instanceof PayApiProblem) return error.status >= 400 && error.status < 500;
  return error instanceof client.ResponseBodyError && error.status >= 400 && error.status < 500;
}

/**
 * Runs {@link registerWebhookEndpoint} in the background, retried while the bank is unreachable.
 * Never throws: a failure is a warning in the log. Timers do not keep the process alive.
 *
 * @returns `stop()` to give up the remaining attempts, and `done`, settled after the last attempt
 */
export function startWebhookRegistration(parts: WebhookRegistrationParts): { stop(): void; done: Promise<void> } {
  const delays = parts.attemptDelaysMs ?? ATTEMPT_DELAYS_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const wait = (ms: number): Promise<void> => new Promise((resolve) => {
    wake = resolve;
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  const done = (async () => {
    for (const [attempt, delayMs] of delays.entries()) {
      await wait(delayMs);
      if (stopped) return;
      try {
        const endpointId = await registerWebhookEndpoint(parts);
        parts.logger.info({ endpointId, url: `${parts.publicUrl}/webhooks` }, 'webhook endpoint registered');
        return;
      } catch (error) {
        const last = attempt === delays.length - 1 || isFinal(error);
        parts.logger.warn({ err: error, attempt: attempt + 1 }, last
          ? 'webhook endpoint not registered: the dashboard shows no notifications (needs the webhooks:manage scope and an endpoint URL the bank allows)'
          : 'webhook endpoint not registered yet; retrying');
        if (last) return;
      }
    }
  })();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
    },
    done,
  };
}
