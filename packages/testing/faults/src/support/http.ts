import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** One HTTP request as the fault tests send it: nothing is normalised or checked on the way out. */
export interface RawRequest {
  method: string;
  /** Base URL of the service, e.g. `http://localhost:4001`. */
  base: string;
  /** Path and query exactly as they go on the request line (already percent-encoded, possibly badly). */
  path: string;
  /** An array value sends the header once per element (duplicate header lines). */
  headers?: Readonly<Record<string, string | string[] | number>>;
  body?: Buffer | string;
  /** No complete answer within this many milliseconds counts as a hang (the socket is destroyed). */
  timeoutMs: number;
  agent?: Agent;
}

/** The answer to a {@link RawRequest}. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** From sending the request to the last byte of the answer. */
  durationMs: number;
}

/** The service did not answer within the request's timeout. */
export class HangError extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'HangError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Sends `req` with node:http (not fetch: fetch merges duplicate headers, refuses some bodies and
 * methods, and percent-encodes paths) and reads the whole answer.
 *
 * @throws {HangError} when the answer is not complete within `timeoutMs`
 * @throws the socket error when the connection fails (refused, reset)
 */
export function send(req: RawRequest): Promise<RawResponse> {
  const url = new URL(req.base);
  const headers: Record<string, string | string[] | number> = { ...req.headers };
  // Node frames a GET/HEAD/DELETE/OPTIONS body only with an explicit length (no chunked default):
  // without it the body would reach the server as the next request.
  if (req.body !== undefined && headers['transfer-encoding'] === undefined && headers['content-length'] === undefined) {
    headers['content-length'] = Buffer.byteLength(req.body);
  }
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: url.hostname,
      port: url.port,
      method: req.method,
      path: req.path,
      headers: headers as OutgoingHttpHeaders,
      agent: req.agent ?? false,
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        clearTimeout(timer);
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks), durationMs: performance.now() - startedAt });
      });
      incoming.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = setTimeout(() => {
      outgoing.destroy(new HangError(req.timeoutMs));
    }, req.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(req.body);
  });
}

/** The answer's body as JSON, or undefined when it is not JSON. */
export function jsonOf(response: RawResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A JSON request to the resource API with a bearer token (the common case of the load tests). */
export function apiCall(base: string, method: string, path: string, options: {
  token?: string; json?: unknown; headers?: Readonly<Record<string, string>>; timeoutMs?: number; agent?: Agent;
} = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  return send({ method, base, path, headers, body, timeoutMs: options.timeoutMs ?? 10_000, agent: options.agent });
}
