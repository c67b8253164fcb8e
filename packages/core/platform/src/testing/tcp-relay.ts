import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** A TCP relay on 127.0.0.1 in front of a real server, which a test can cut and restore. */
export interface TcpRelay {
  /** The relay's port: point the client here instead of at the server. */
  port: number;
  /** Drops every relayed connection and stops listening: the server is gone, as its clients see it. */
  cut(): Promise<void>;
  /** Listens again on the same port: the server is back. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a relay to `host:port` (e.g. the tests' Redis): the real server stays up for everyone
 * else while this test's clients lose it and find it again, without a mock in between.
 */
export async function startTcpRelay(host: string, port: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let relayPort = 0;
  const listen = async (): Promise<void> => {
    const next = createServer((incoming) => {
      const outgoing = createConnection(port, host);
      for (const socket of [incoming, outgoing]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      incoming.pipe(outgoing).pipe(incoming);
      incoming.on('close', () => outgoing.destroy());
      outgoing.on('close', () => incoming.destroy());
    });
    await new Promise<void>((resolve) => next.listen(relayPort, '127.0.0.1', resolve));
    relayPort = (next.address() as { port: number }).port;
    server = next;
  };
  const cut = async (): Promise<void> => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (current) await new Promise((resolve) => current.close(resolve));
  };
  await listen();
  return {
    get port() {
      return relayPort;
    },
    cut,
    restore: listen,
    close: cut,
  };
}
