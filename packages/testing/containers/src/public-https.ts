/**
 * Requests to the stack's public https URLs from the host, as a client that trusts the local CA
 * (deploy/containers/local-ca.sh). Their host names (`*.payapi.localhost`) are this machine's
 * loopback, which browsers and curl know but the C library's resolver, and so Node's `fetch`, does
 * not: connections go to 127.0.0.1, with the URL's host name for TLS (SNI, certificate check) and
 * in the Host header.
 */
import { request } from 'node:https';

/** An answer: status, lower-case headers, the body as text. */
export interface PublicAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Options of {@link publicRequest}. */
export interface PublicRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM certificates to trust; none: only the system's (a local-CA certificate then fails). */
  ca?: string;
  /** Give up after this long, ms (default 15 s). */
  timeoutMs?: number;
}

/**
 * Sends one request to `url` (https) through 127.0.0.1.
 *
 * @throws {Error} on a connection, TLS or certificate failure, or a timeout (the message names it)
 */
export function publicRequest(url: string, options: PublicRequest = {}): Promise<PublicAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: '127.0.0.1',
      port: Number(target.port || 443),
      servername: target.hostname,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? 'GET',
      headers: { host: target.host, ...options.headers },
      ...(options.ca ? { ca: options.ca } : {}),
      timeout: options.timeoutMs ?? 15_000,
      agent: false,
    }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => { body += chunk; });
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }));
      incoming.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${target.origin} within ${options.timeoutMs ?? 15_000} ms`)));
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** {@link publicRequest} whose body is JSON; throws when it is not. */
export async function publicJson(url: string, options: PublicRequest = {}): Promise<{ status: number; json: unknown; headers: PublicAnswer['headers'] }> {
  const answer = await publicRequest(url, options);
  try {
    return { status: answer.status, json: JSON.parse(answer.body) as unknown, headers: answer.headers };
  } catch {
    throw new Error(`${options.method ?? 'GET'} ${url} answered ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 300)}`);
  }
}
