import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers a request Node's HTTP parser refused before any handler ran (headers over 16 KiB, a
 * malformed request line or header) with an RFC 9457 problem document instead of Node's bare
 * status line, then closes the connection. A connection already reset is just destroyed. The
 * problem's `type` is `${problemTypeBase}${code}` when the service has pages for its codes, else
 * `about:blank` (RFC 9457 §4.2.1).
 */
function answerUnparsableRequest(error: Error & { code?: string }, socket: Duplex, problemTypeBase: string | undefined): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  const code = tooLarge ? 'request_header_fields_too_large' : 'invalid_request';
  const body = JSON.stringify({
    type: problemTypeBase === undefined ? 'about:blank' : `${problemTypeBase}${code}`,
    title: reason,
    status,
    detail: tooLarge ? 'the request headers are larger than 16 KiB' : 'the request is not valid HTTP/1.1',
    code,
  });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * A whole request (headers and body) must arrive within this long, ms (Node's default is 300 s):
 * bodies are at most 64 KiB, so a slower one is a slow-loris attempt or a broken client. It also
 * bounds how long a request checked on arrival can wait before its route runs.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The header section must arrive within this long, ms. */
export const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Starts `server` listening on `port` of `options.address` (default: every interface). Requests
 * Node's parser refuses get a problem+json answer (431 or 400) rather than a bare status line; a
 * request whose headers take longer than {@link HEADERS_TIMEOUT_MS}, or whose whole body longer
 * than {@link REQUEST_TIMEOUT_MS}, is answered 408 and closed by Node.
 *
 * @param what the service's name for the message, e.g. `authorization server`
 * @param options `problemTypeBase`: where the service's pages for problem codes are
 *   (`${base}${code}`, the resource API's `/problems/`); without it the parser's problems are `about:blank`;
 *   `address`: the IP address to listen on (`LISTEN_ADDRESS`, see `readListenAddress`)
 * @returns the server, once it listens
 * @throws {Error} with one line naming the port and the service when the port is taken
 */
export function listenOn(server: Server, port: number, what: string, options: { problemTypeBase?: string; address?: string | undefined } = {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} (${what}) is already in use: stop what holds it, or change its URL` : error.message));
    });
    server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => answerUnparsableRequest(error, socket, options.problemTypeBase));
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.listen(port, options.address, () => resolve(server));
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
