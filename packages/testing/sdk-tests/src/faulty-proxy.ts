/**
 * A reverse proxy in front of the real resource API that misbehaves on purpose, one planned fault
 * per request: answering 503 or 429 itself, forwarding and then answering 503 instead of the API's
 * answer, or forwarding and then dropping the connection. What a flaky network or a gateway does to
 * a partner's calls, so the SDK's retries meet the real API's idempotency behind it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  /** Answers 503 (problem+json) without forwarding. */
  | { kind: 'unavailable'; retryAfter?: string }
  /** Answers 429 `rate_limited` with this `Retry-After`, without forwarding. */
  | { kind: 'rate_limited'; retryAfter: string }
  /** Forwards (the API does the work), then answers 503 instead of the API's answer. */
  | { kind: 'forward_then_unavailable' }
  /** Forwards (the API does the work), then closes the connection without answering. */
  | { kind: 'forward_then_drop' };

/** A request the proxy saw. */
export interface Seen {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  fault: Fault['kind'];
  /** The API's status when the request was forwarded. */
  upstreamStatus: number | undefined;
}

export interface FaultyProxy {
  url: string;
  /** Faults for the next requests, in order; once used up, requests pass. */
  plan(...faults: Fault[]): void;
  seen: Seen[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function problem(res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: 'about:blank', title: status === 429 ? 'Too Many Requests' : 'Service Unavailable', status, detail: `the proxy answered ${status}`, code }));
}

/** Starts the proxy on a free port of 127.0.0.1, forwarding to `target` (the API's base URL). */
export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const faults: Fault[] = [];
  const seen: Seen[] = [];
  const server: Server = createServer(async (req, res) => {
    const fault = faults.shift() ?? { kind: 'pass' };
    const record: Seen = {
      method: req.method ?? 'GET', path: req.url ?? '/', idempotencyKey: req.headers['idempotency-key'] as string | undefined, fault: fault.kind, upstreamStatus: undefined,
    };
    seen.push(record);
    const body = await readBody(req);
    if (fault.kind === 'unavailable') return problem(res, 503, 'service_unavailable', fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    if (fault.kind === 'rate_limited') return problem(res, 429, 'rate_limited', { 'retry-after': fault.retryAfter });
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers.set(name, value);
    }
    const upstream = await fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body: body.length > 0 ? body : undefined });
    const text = Buffer.from(await upstream.arrayBuffer());
    record.upstreamStatus = upstream.status;
    if (fault.kind === 'forward_then_unavailable') return problem(res, 503, 'service_unavailable');
    if (fault.kind === 'forward_then_drop') {
      req.socket.destroy();
      return undefined;
    }
    const answerHeaders: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') answerHeaders[name] = value;
    });
    res.writeHead(upstream.status, answerHeaders);
    res.end(text);
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    plan: (...planned) => {
      faults.push(...planned);
    },
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
