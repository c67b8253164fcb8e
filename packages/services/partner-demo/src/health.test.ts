import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { createPartnerDemo } from './app.ts';
import { loadPartnerDemoConfig } from './config.ts';

// The containers' healthchecks and HAProxy ask these (deploy/containers/docker-compose.yml).
describe('the partner demo\'s probes', () => {
  test('/healthz and /readyz answer 200 JSON, never cached, without a session cookie', async () => {
    const config = loadPartnerDemoConfig({ PARTNER_DEMO_URL: 'http://127.0.0.1:4002', PARTNER_DEMO_WEBHOOKS: 'false' });
    const logDestination = new Writable({ write: (_chunk, _encoding, done) => done() });
    const http = createServer(createPartnerDemo(config, { logDestination }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      for (const [path, status] of [['/healthz', 'ok'], ['/readyz', 'ready']] as const) {
        const answer = await fetch(`${url}${path}`);
        expect({ status: answer.status, body: await answer.json() as unknown }).toEqual({ status: 200, body: { status } });
        expect(answer.headers.get('cache-control')).toBe('no-store');
        expect(answer.headers.get('set-cookie')).toBeNull();
      }
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
