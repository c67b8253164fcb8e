/**
 * The SDK's fetch, given to openapi-fetch: each call gets its access token (from the partner's
 * provider, asked again on each attempt), a DPoP proof through openid-client when the token is
 * DPoP-bound, a timeout, and the retries of retry.ts with its `Idempotency-Key` unchanged.
 */
import type { Configuration, DPoPHandle } from 'openid-client';
import { PayApiConnectionError } from './problem.ts';
import { backoffMs, isRepeatable, retryAfterMs } from './retry.ts';
import type { RetryNotice, RetryPolicy, RetryReason } from './retry.ts';

/**
 * Gives the access token for the next request (called before every attempt, so a refreshed token is
 * picked up). The SDK does no OAuth: get and refresh tokens with your OAuth library (openid-client).
 */
export type AccessTokenProvider = () => string | Promise<string>;

/**
 * A DPoP-bound token (RFC 9449): each request is sent through openid-client's
 * `fetchProtectedResource` with this handle, which signs a fresh proof (`htm`, `htu`, `ath`) with the
 * key the token is bound to and keeps the server's DPoP nonces.
 */
export interface DPoPBinding {
  /** The openid-client configuration the token was obtained with (`client.discovery(…)`); its timeout and `customFetch` apply. */
  configuration: Configuration;
  /** `client.getDPoPHandle(configuration, keyPair)` for the key pair the token is bound to. */
  handle: DPoPHandle;
}

export interface TransportOptions {
  accessToken: AccessTokenProvider;
  dpop: DPoPBinding | undefined;
  fetch: (request: Request) => Promise<Response>;
  /** Per attempt, ms (without DPoP; with it, the openid-client configuration's timeout applies). */
  timeoutMs: number;
  retry: RetryPolicy;
  onRetry: ((notice: RetryNotice) => void) | undefined;
}

/** Why the answer is worth another attempt, or undefined when it is final. */
async function retryReason(response: Response, repeatable: boolean, hasKey: boolean): Promise<RetryReason | undefined> {
  if (response.status === 429) return 'rate_limited';
  if (response.status === 503 && repeatable) return 'service_unavailable';
  if (response.status === 409 && hasKey) {
    const code = await response.clone().json().then((body: unknown) => (body as { code?: unknown } | null)?.code, () => undefined);
    if (code === 'idempotency_key_in_flight') return 'idempotency_key_in_flight';
  }
  return undefined;
}

/** A failed connection, reset, DNS failure or timeout of the attempt (not the caller's own abort). */
function isNetworkError(error: unknown): boolean {
  // By name, not instanceof: fetch's errors may come from another realm (a test runner's sandbox).
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'TypeError' || name === 'TimeoutError' || name === 'AbortError';
}

/** Waits `ms`, or rejects with the signal's reason when the caller aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The fetch function of one client. It answers with the last attempt's response (an error status
 * included: the client turns it into a PayApiProblem).
 *
 * @throws {PayApiConnectionError} when no attempt got an answer
 * @throws the caller's abort reason when the request's signal aborts
 */
export function createTransport(options: TransportOptions): (request: Request) => Promise<Response> {
  async function attempt(request: Request, body: Uint8Array | undefined, headers: Headers): Promise<Response> {
    const token = await options.accessToken();
    if (options.dpop) {
      // Loaded only when used: openid-client is the partner's OAuth library (a peer dependency).
      const oidc = await import('openid-client');
      try {
        return await oidc.fetchProtectedResource(options.dpop.configuration, token, new URL(request.url), request.method, body, headers,
          { DPoP: options.dpop.handle });
      } catch (error) {
        // A 401 or 403 with a WWW-Authenticate challenge (RFC 6750 §3, RFC 9449 §7.1) is thrown by
        // openid-client; its response still holds the problem details.
        if (error instanceof oidc.WWWAuthenticateChallengeError && error.response) return error.response;
        throw error;
      }
    }
    headers.set('authorization', `Bearer ${token}`);
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(options.timeoutMs)]);
    return options.fetch(new Request(request.url, { method: request.method, headers, body: body ?? null, signal }));
  }

  return async function payApiFetch(request: Request): Promise<Response> {
    // Read once: every attempt sends the same bytes and the same Idempotency-Key.
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
    const repeatable = isRepeatable(request.method, idempotencyKey);
    for (let attemptNumber = 1; ; attemptNumber += 1) {
      const last = attemptNumber >= options.retry.maxAttempts;
      let response: Response;
      try {
        response = await attempt(request, body, new Headers(request.headers));
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason;
        if (!isNetworkError(error)) throw error;
        if (last || !repeatable) throw new PayApiConnectionError(attemptNumber, error);
        const delayMs = backoffMs(options.retry, attemptNumber);
        options.onRetry?.({ method: request.method, url: request.url, attempt: attemptNumber, reason: 'network_error', status: undefined, delayMs, idempotencyKey });
        await wait(delayMs, request.signal);
        continue;
      }
      const reason = last ? undefined : await retryReason(response, repeatable, idempotencyKey !== undefined);
      if (!reason) return response;
      const asked = reason === 'idempotency_key_in_flight' ? undefined : retryAfterMs(response.headers);
      if (asked !== undefined && asked > options.retry.maxRetryAfterMs) return response;
      const delayMs = asked ?? backoffMs(options.retry, attemptNumber);
      options.onRetry?.({ method: request.method, url: request.url, attempt: attemptNumber, reason, status: response.status, delayMs, idempotencyKey });
      await response.body?.cancel();
      await wait(delayMs, request.signal);
    }
  };
}
