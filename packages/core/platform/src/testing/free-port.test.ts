import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import { freePort } from './free-port.ts';

describe('freePort', () => {
  test('CI regression (EADDRINUSE on a port the OS had picked): ports come from outside the ephemeral range, and can be listened on', async () => {
    const [first, last] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number) as [number, number];
    for (let index = 0; index < 20; index += 1) {
      const port = await freePort();
      expect(port >= first && port <= last).toBe(false);
      expect(port).toBeGreaterThanOrEqual(10_000);
      const server = createServer();
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
