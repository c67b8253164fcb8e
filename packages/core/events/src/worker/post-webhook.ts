import { request as httpRequest } from 'node:http';
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';

/** Where to send: the endpoint's URL and the address {@link resolveEndpointUrl} checked for it. */
export interface WebhookTarget {
  url: URL;
  address: string;
}

/** Limits of one POST. */
export interface PostLimits {
  /** Everything (connect, TLS, request, status line, body read) within this long, ms. */
  timeoutMs: number;
  /** Read the response body up to this many bytes, then drop the connection. */
  responseBodyMaxBytes: number;
  /** Extra trusted certificate authority, PEM (tests). */
  extraCaPem?: string;
}

/** What came back: a status line (whatever it says), or no answer at all. */
export type PostResult =
  | { kind: 'response'; status: number; retryAfter?: string; bodyBytesRead: number; durationMs: number }
  | { kind: 'no-response'; failure: string; durationMs: number };

/**
 * A `lookup` that answers every name with the one address already checked, so the connection goes
 * exactly where the URL policy looked (no second DNS query a rebinding name could answer
 * differently). Handles both forms Node asks for (one address, or `all` for Happy Eyeballs).
 */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address) === 6 ? 6 : 4;
  return (_hostname, options, callback) => {
    if (options.all) (callback as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Node's request options: the URL's host for `Host` and TLS (SNI, certificate name), the checked
 * address to connect to. Without an agent, a fresh connection closed after the answer. With one, it
 * must be `ConnectionPool.agentFor(target)`, the agent of this origin at this checked address: a
 * connection it reuses was made for an earlier attempt whose own check found the same address.
 */
function requestOptions(target: WebhookTarget, headers: Record<string, string>, bodyBytes: number, agent: Agent | undefined, extraCaPem?: string): RequestOptions {
  const { url } = target;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const tls = url.protocol === 'https:';
  return {
    method: 'POST',
    host,
    port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, host: url.host, 'content-length': String(bodyBytes), ...(agent ? {} : { connection: 'close' }) },
    agent: agent ?? false,
    lookup: pinnedLookup(target.address),
    ...(tls && isIP(host) === 0 ? { servername: host } : {}),
    ...(tls && extraCaPem !== undefined ? { ca: [...rootCertificates, extraCaPem] } : {}),
  };
}

/** Errors of a kept-alive connection the server closed just as it was reused: nothing was answered, so the POST goes again on a fresh one. */
const STALE_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * POSTs `body` to the endpoint (docs/webhooks.md, "Delivery"). Redirects are never followed (a 3xx
 * is just a status). The response body is read up to `responseBodyMaxBytes` (reading stops at the
 * first chunk that reaches it) and the connection is then dropped; a body read to its end within
 * the limit leaves the connection to `agent` for the next attempt (none: it is closed). A reused
 * connection that breaks before any answer (the server closed it meanwhile) is retried once on a
 * fresh one, within the same timeout. Never throws.
 *
 * @param agent keep-alive connections to `target.address` for `target.url`'s origin (`ConnectionPool`)
 * @returns the status line's status, `Retry-After` and bytes read; or, when no status line came
 *   within `timeoutMs` or the connection failed, why. A status line that came in time counts even
 *   if the body then takes too long.
 */
export async function postWebhook(target: WebhookTarget, body: string, headers: Record<string, string>, limits: PostLimits, agent?: Agent): Promise<PostResult> {
  const startedAt = performance.now();
  const first = await postOnce(target, body, headers, limits, agent, startedAt);
  if (first !== 'stale-connection') return first;
  const again = await postOnce(target, body, headers, limits, undefined, startedAt);
  return again === 'stale-connection' ? { kind: 'no-response', failure: 'connection failed: ECONNRESET', durationMs: performance.now() - startedAt } : again;
}

/** One request of {@link postWebhook}: its result, or `stale-connection` when a reused connection broke before any answer. */
function postOnce(
  target: WebhookTarget, body: string, headers: Record<string, string>, limits: PostLimits, agent: Agent | undefined, startedAt: number,
): Promise<PostResult | 'stale-connection'> {
  const elapsed = (): number => performance.now() - startedAt;
  return new Promise((resolve) => {
    let settled = false;
    let response: IncomingMessage | undefined;
    let bodyBytesRead = 0;
    const finish = (result: PostResult | 'stale-connection', keepConnection = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!keepConnection) request.destroy();
      resolve(result);
    };
    const answered = (keepConnection = false): void => {
      if (!response) return;
      const retryAfter = response.headers['retry-after'];
      finish({ kind: 'response', status: response.statusCode ?? 0, ...(retryAfter === undefined ? {} : { retryAfter }), bodyBytesRead, durationMs: elapsed() },
        keepConnection);
    };
    const request: ClientRequest = (target.url.protocol === 'https:' ? httpsRequest : httpRequest)(
      requestOptions(target, headers, Buffer.byteLength(body), agent, limits.extraCaPem), (incoming) => {
        response = incoming;
        incoming.on('data', (chunk: Buffer) => {
          bodyBytesRead += chunk.length;
          if (bodyBytesRead >= limits.responseBodyMaxBytes) answered();
        });
        // Read to its end: the connection may serve the next attempt (Node hands it back to the agent).
        incoming.on('end', () => answered(agent !== undefined));
        incoming.on('error', () => answered());
        incoming.on('close', () => answered());
      });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (response) answered(); // the connection broke during the body: the status line counts
      else if (request.reusedSocket && STALE_CONNECTION_CODES.has(error.code ?? '')) finish('stale-connection');
      else finish({ kind: 'no-response', failure: `connection failed: ${error.code ?? error.message}`, durationMs: elapsed() });
    });
    const timer = setTimeout(() => {
      if (response) answered();
      else finish({ kind: 'no-response', failure: `no response within ${limits.timeoutMs} ms`, durationMs: elapsed() });
    }, Math.max(0, limits.timeoutMs - elapsed()));
    request.end(body);
  });
}
