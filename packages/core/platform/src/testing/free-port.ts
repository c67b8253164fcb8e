import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Ports tests may take: above the well-known and common service ports, below Linux's default ephemeral range (32768-60999). */
const TEST_PORT_RANGE = { first: 10_000, last: 32_000 } as const;

/** Linux's ephemeral range (`net.ipv4.ip_local_port_range`), or its default where it cannot be read. */
async function ephemeralRange(): Promise<{ first: number; last: number }> {
  try {
    const [first, last] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    if (Number.isInteger(first) && Number.isInteger(last)) return { first: first as number, last: last as number };
  } catch {
    // not Linux, or no /proc: the default range
  }
  return { first: 32_768, last: 60_999 };
}

/** True when `port` on 127.0.0.1 could be listened on right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago, for a service a test starts right after.
 *
 * Not one the OS picks (`listen(0)`): those come from the ephemeral range, the same range every
 * outgoing connection takes its local port from, so a database or Redis connection opened between
 * this call and the service's `listen` could hold it (seen as EADDRINUSE in CI). Ports are drawn at
 * random from 10000-32000 outside the ephemeral range and checked by listening on them once.
 *
 * @throws {Error} when 200 random ports in the range were all taken
 */
export async function freePort(): Promise<number> {
  const ephemeral = await ephemeralRange();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = TEST_PORT_RANGE.first + Math.floor(Math.random() * (TEST_PORT_RANGE.last - TEST_PORT_RANGE.first + 1));
    if (port >= ephemeral.first && port <= ephemeral.last) continue;
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found in ${TEST_PORT_RANGE.first}-${TEST_PORT_RANGE.last} outside the ephemeral range`);
}
