import type { Server } from 'node:http';

/**
 * Starts `server` listening on `port` (all interfaces).
 *
 * @param what the service's name for the message, e.g. `authorization server`
 * @returns the server, once it listens
 * @throws {Error} with one line naming the port and the service when the port is taken
 */
export function listenOn(server: Server, port: number, what: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} (${what}) is already in use: stop what holds it, or change its URL` : error.message));
    });
    server.listen(port, () => resolve(server));
  });
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits 0: the shutdown of a service
 * started on its own.
 */
export function stopOnSignal(stop: () => Promise<void>): void {
  const handle = (): void => {
    stop().then(() => process.exit(0), (error: unknown) => {
      process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
  };
  process.once('SIGINT', handle);
  process.once('SIGTERM', handle);
}
