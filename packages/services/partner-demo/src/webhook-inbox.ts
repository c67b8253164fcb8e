/**
 * What the partner demo does with the bank's webhook deliveries (the bank's docs/webhooks.md):
 * checks each one with the SDK's `verifyWebhook` (the `standardwebhooks` library) on the raw body, drops a `webhook-id` it has
 * seen (deliveries are at least once), and keeps the latest notifications in memory for the
 * dashboard. Everything here is synchronous and bounded, so the endpoint answers at once.
 */
import { WebhookVerificationError, verifyWebhook } from '@payapi/sdk';
import { summarize } from './notification-summary.ts';

/** A delivery turned into a line on the dashboard. */
export interface Notification {
  /** The event id (`evt_…`), also the delivery's `webhook-id`. */
  id: string;
  type: string;
  /** The event's `created_at` (RFC 3339). */
  createdAt: string;
  /** One line, e.g. "Transfer tr_… of 12.34 CNY completed". */
  summary: string;
  /** The bank accounts it concerns: only a user who shared one of them sees it. */
  accountIds: string[];
  /** The user it concerns (`grant.revoked`), when it names one. */
  sub: string | undefined;
  /** Shown to every user (a test event, about no one); anything else only to the users it concerns. */
  forEveryone: boolean;
}

/** How a delivery was taken. `accepted` and `duplicate` answer 2xx; the others make the bank retry. */
export type Receipt = 'accepted' | 'duplicate' | 'not_ready' | 'invalid';

export interface WebhookInboxOptions {
  /** Notifications kept, newest first (default 50). */
  notificationsMax?: number;
  /** `webhook-id`s remembered against duplicates (default 1,000: more than the bank retries within a day for this demo). */
  seenIdsMax?: number;
}

/** The partner demo's webhook inbox: the endpoint secret, the ids seen, the latest notifications. */
export class WebhookInbox {
  #secret: string | undefined;
  readonly #seen = new Set<string>();
  readonly #notifications: Notification[] = [];
  readonly #notificationsMax: number;
  readonly #seenIdsMax: number;

  constructor(options: WebhookInboxOptions = {}) {
    this.#notificationsMax = options.notificationsMax ?? 50;
    this.#seenIdsMax = options.seenIdsMax ?? 1_000;
  }

  /** The endpoint's signing secret (`whsec_…`), once registration got it; until then deliveries are `not_ready`. */
  setSecret(secret: string): void {
    this.#secret = secret;
  }

  get ready(): boolean {
    return this.#secret !== undefined;
  }

  /**
   * Takes one delivery: verifies the signature over the exact bytes received (Standard Webhooks:
   * `webhook-id`, `webhook-timestamp` within 5 minutes, `webhook-signature`, any of its signatures
   * may match: two are sent while the bank rotates the secret), then deduplicates on `webhook-id`.
   * Only a verified delivery is remembered, so a forger cannot fill the memory of seen ids.
   */
  receive(rawBody: Buffer, headers: Readonly<Record<string, string | string[] | undefined>>): Receipt {
    if (!this.#secret) return 'not_ready';
    const id = headers['webhook-id'];
    if (typeof id !== 'string') return 'invalid';
    let event: unknown;
    try {
      event = verifyWebhook(rawBody, headers, this.#secret);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return 'invalid';
      throw error;
    }
    if (this.#seen.has(id)) return 'duplicate';
    this.#seen.add(id);
    if (this.#seen.size > this.#seenIdsMax) this.#seen.delete(this.#seen.values().next().value as string);
    this.#notifications.unshift({ id, ...summarize(event) });
    this.#notifications.length = Math.min(this.#notifications.length, this.#notificationsMax);
    return 'accepted';
  }

  /**
   * The latest notifications for one user, newest first: those about an account the user shared
   * with the app, about the user, or for everyone (test events). Another user's never show.
   */
  latestFor(viewer: { sub: string | undefined; accountIds: ReadonlySet<string> }, count = 10): Notification[] {
    return this.#notifications.filter((notification) => (notification.sub !== undefined && notification.sub === viewer.sub)
      || notification.accountIds.some((accountId) => viewer.accountIds.has(accountId))
      || notification.forEveryone).slice(0, count);
  }
}
