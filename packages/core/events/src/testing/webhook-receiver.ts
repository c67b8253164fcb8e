import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** One request a receiver got. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The raw body, UTF-8. */
  body: string;
  /** `performance.now()` when the body had arrived. */
  atMs: number;
  /** The TLS server name the client asked for (SNI), for `https` receivers. */
  servername?: string;
}

/** How a receiver answers one request. */
export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  /** A body to send, or `endless` to stream chunks until the client goes away. */
  body?: string | 'endless';
  /** Wait this long before answering, ms; `hang` never answers. */
  delayMs?: number | 'hang';
}

/** A webhook receiver on loopback, for tests and the fault tests. */
export interface WebhookReceiver {
  /** `http(s)://<host>:<port>/hooks`, or with `hostname` in place of the address. */
  url: string;
  port: number;
  /** Requests received, in order. */
  received: ReceivedWebhook[];
  /** TCP connections accepted, requests or not (a refused delivery opens none). */
  connections(): number;
  /** The most requests it held unanswered at once. */
  concurrentMax(): number;
  /** Bytes of body written to clients (an `endless` body stops growing when the client hangs up). */
  bytesSent(): number;
  close(): Promise<void>;
}

/** Options of {@link startWebhookReceiver}. */
export interface ReceiverOptions {
  /** Address to listen on (default 127.0.0.1; any 127.x.y.z works on Linux). */
  host?: string;
  /** Name to put in `url` instead of the address (e.g. one a test's lookup resolves). */
  hostname?: string;
  /** Serve `https` with this certificate and key (PEM). */
  tls?: { certPem: string; keyPem: string };
  /** The answer to request number `index` (0-based); default 200 with `{}`. */
  answer?: (request: ReceivedWebhook, index: number) => ReceiverAnswer;
}

const ENDLESS_CHUNK = Buffer.alloc(16 * 1024, 'x');

/**
 * Starts an HTTP(S) server on a free port of loopback that records every request and answers as
 * `answer` says: a status, a delay or no answer at all, an endless body.
 */
export async function startWebhookReceiver(options: ReceiverOptions = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let open = 0;
  let concurrentMax = 0;
  let bytesSent = 0;
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    open += 1;
    concurrentMax = Math.max(concurrentMax, open);
    response.once('close', () => { open -= 1; });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const servername = (request.socket as TLSSocket).servername;
      const webhook: ReceivedWebhook = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), atMs: performance.now(),
        ...(typeof servername === 'string' ? { servername } : {}) };
      received.push(webhook);
      const answer = options.answer?.(webhook, received.length - 1) ?? { status: 200, body: '{}' };
      if (answer.delayMs === 'hang') return;
      setTimeout(() => respond(response, answer, (bytes) => { bytesSent += bytes; }), answer.delayMs ?? 0);
    });
  };
  const server: Server = options.tls ? createTlsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handle) : createServer(handle);
  // 'connection' is the TCP connection, before any TLS handshake: a refused delivery opens none.
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://${options.hostname ?? host}:${port}/hooks`,
    port,
    received,
    connections: () => connections,
    concurrentMax: () => concurrentMax,
    bytesSent: () => bytesSent,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Writes `answer`, counting body bytes as they are handed to the socket; an endless body goes on while the client reads. */
function respond(response: ServerResponse, answer: ReceiverAnswer, count: (bytes: number) => void): void {
  if (response.destroyed) return;
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  if (answer.body !== 'endless') {
    count(Buffer.byteLength(answer.body ?? ''));
    response.end(answer.body ?? '');
    return;
  }
  // At most 1 MiB per turn of the event loop, then wait for 'drain' (the client reads) or the next turn.
  const pump = (): void => {
    for (let chunk = 0; chunk < 64; chunk += 1) {
      if (response.destroyed) return;
      count(ENDLESS_CHUNK.length);
      if (!response.write(ENDLESS_CHUNK)) {
        response.once('drain', pump);
        return;
      }
    }
    setImmediate(pump);
  };
  response.on('error', () => undefined);
  pump();
}
