import type { PayapiEnvironment } from '@payapi/platform';
import type { UrlPolicy } from '../url-policy.ts';

/**
 * What a delivery worker does and within which limits (docs/webhooks.md, "Delivery").
 * `loadWebhookWorkerConfig` reads it from the environment; tests pass shorter values.
 */
export interface DeliverySettings {
  /** `environment` of every event sent (`PAYAPI_ENVIRONMENT`). */
  environment: PayapiEnvironment;
  /** Where deliveries may go; checked again before every attempt (`WEBHOOKS_ALLOW_PRIVATE_NETWORKS`). */
  urlPolicy: UrlPolicy;
  /**
   * Wait before attempt N+1 after attempt N failed, milliseconds, each ±20 % at random
   * (`WEBHOOKS_RETRY_SCHEDULE_S`). Its length is the number of retries: 7 by default, so 8 attempts.
   */
  retryScheduleMs: readonly number[];
  /** A whole attempt (connect, TLS, request, status line and the body read) ends as failed after this long, ms: 15,000. */
  timeoutMs: number;
  /**
   * How long a claimed attempt belongs to the worker that claimed it, ms (`WEBHOOKS_LEASE_S`, 60 s):
   * after it, another worker sends it again (a killed worker's attempts are not lost). At least
   * `timeoutMs` + 5 s, so a live worker always records its outcome first.
   */
  leaseMs: number;
  /** The response body is read up to this many bytes, then the connection is dropped: 64 KiB. */
  responseBodyMaxBytes: number;
  /** Attempts in flight (HTTP requests) to one endpoint, per worker: 4, so a slow endpoint holds four slots and no more. */
  concurrencyPerEndpoint: number;
  /** Attempts in flight in one worker, all endpoints together: 32. */
  concurrencyTotal: number;
  /** Attempts in flight in one worker for one client, all its endpoints together: 8, so one client never takes all 32. */
  concurrencyPerClient: number;
  /**
   * Attempts one worker holds per endpoint at most, in flight and claimed ahead waiting for a slot:
   * 64, so one claim statement feeds many sends. An endpoint is claimed ahead only as far as it
   * answers (`DeliveryQueues`), and only when the lease leaves room for the wait (`leaseMs` ≥
   * `timeoutMs` + 5 s + `queueWaitMaxMs`); otherwise it holds just `concurrencyPerEndpoint`.
   */
  claimDepthPerEndpoint: number;
  /**
   * A claimed attempt waits at most this long for a slot, ms: 2,000; one that waited longer (its
   * endpoint slowed down) is given back unsent, due as before, and claimed afresh. The wait comes on
   * top of the timeout, so claim-ahead is on only when `leaseMs` ≥ `timeoutMs` + 5 s + this: from
   * claim to record the lease then still leaves the 5 s margin for the two statements, as without
   * claim-ahead. Nothing goes out on an endpoint's state older than this.
   */
  queueWaitMaxMs: number;
  /** After a claim that found nothing, wait this long (or until an attempt ends) before the next, ms: 200. */
  pollIntervalMs: number;
  /** An endpoint whose attempts have all failed for this long is disabled (`failing`), ms: 5 days. */
  failingDisableAfterMs: number;
  /** Events older than this many days are deleted (`EVENTS_RETENTION_DAYS`, 400; at least 30). */
  retentionDays: number;
  /** How often the retention purge runs, ms: 10 minutes (the first run is at start). */
  retentionIntervalMs: number;
  /** Extra certificate authorities trusted for `https` endpoints, PEM (tests with their own CA; production uses the system's). */
  extraCaPem?: string;
}

/** The default retry schedule, seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (docs/webhooks.md, "Retries"). */
export const RETRY_SCHEDULE_SECONDS_DEFAULT: readonly number[] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/** Everything of {@link DeliverySettings} that is the same in every deployment. */
export const DELIVERY_LIMITS_DEFAULT = {
  timeoutMs: 15_000,
  leaseMs: 60_000,
  responseBodyMaxBytes: 64 * 1024,
  concurrencyPerEndpoint: 4,
  concurrencyTotal: 32,
  concurrencyPerClient: 8,
  claimDepthPerEndpoint: 64,
  queueWaitMaxMs: 2_000,
  pollIntervalMs: 200,
  failingDisableAfterMs: 5 * 24 * 60 * 60 * 1_000,
  retentionIntervalMs: 10 * 60 * 1_000,
} as const satisfies Partial<DeliverySettings>;

/** The lease must outlast an attempt by this much, ms. */
export const LEASE_MARGIN_MS = 5_000;

/**
 * How many attempts a worker holds per endpoint at most: `claimDepthPerEndpoint` when the lease
 * covers a wait of `queueWaitMaxMs` for a slot, the attempt's timeout and the margin; otherwise
 * only what the endpoint's slots take (no claim-ahead).
 */
export function claimDepth(settings: Pick<DeliverySettings, 'leaseMs' | 'timeoutMs' | 'queueWaitMaxMs' | 'concurrencyPerEndpoint' | 'claimDepthPerEndpoint'>): number {
  const room = settings.leaseMs - settings.timeoutMs - LEASE_MARGIN_MS;
  return room >= settings.queueWaitMaxMs ? Math.max(settings.claimDepthPerEndpoint, settings.concurrencyPerEndpoint) : settings.concurrencyPerEndpoint;
}
