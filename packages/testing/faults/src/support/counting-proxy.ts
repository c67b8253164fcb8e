import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A forward proxy that counts what passes through it. */
export interface CountingProxy {
  /** `http://127.0.0.1:PORT`, for `HTTP_PROXY`. */
  url: string;
  /** Requests seen, by path (`/jwks`, …), in order. */
  paths(): string[];
  /** How many requests for `path` went through. */
  count(path: string): number;
  close(): Promise<void>;
}

/**
 * Starts an HTTP forward proxy on 127.0.0.1 for a service started with `NODE_USE_ENV_PROXY=1` and
 * `HTTP_PROXY` set to it: Node's fetch (hence jose's JWKS fetch) then sends every outgoing request
 * through it, as a CONNECT tunnel. The proxy opens the tunnel onto an inner HTTP server, which
 * reads each request, counts its path and forwards it to the host the tunnel named. The service's
 * configuration is untouched: `AUTH_ISSUER` stays the real issuer, so `iss` still matches.
 */
export async function startCountingProxy(): Promise<CountingProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const inner: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push((req.url ?? '').split('?')[0] ?? '');
    const [host, port] = ((req.socket as Socket & { tunnelTarget?: string }).tunnelTarget ?? '').split(':');
    const forwarded = request({ host, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(forwarded);
  });
  const outer: Server = createServer((_req, res) => {
    res.writeHead(405).end(); // only CONNECT tunnels are offered
  });
  outer.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    (socket as Socket & { tunnelTarget?: string }).tunnelTarget = req.url ?? '';
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    inner.emit('connection', socket);
  });
  await new Promise<void>((resolve) => outer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(outer.address() as AddressInfo).port}`,
    paths: () => [...seen],
    count: (path) => seen.filter((each) => each === path).length,
    async close() {
      for (const socket of sockets) socket.destroy();
      inner.closeAllConnections();
      outer.closeAllConnections();
      await new Promise((resolve) => outer.close(resolve));
    },
  };
}
