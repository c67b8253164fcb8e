import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { createPartnerDemo } from './app.ts';
import { PartnerDemoConfigError, loadPartnerDemoConfig } from './config.ts';

// The partner demo writes its request log itself (it imports nothing of the bank's code), with the
// fields the bank's services write (their test: resource-api/src/flows/logs.test.ts); only
// `clientId` is absent, since the callers here are browsers.
const REQUEST_LINE_FIELDS = ['level', 'time', 'service', 'reqId', 'interactionId', 'req', 'res', 'responseTime', 'msg'];

describe('the partner demo request log', () => {
  test('has the bank services\' fields, and never the authorization code, state or session cookie', async () => {
    const logs: string[] = [];
    const logDestination = new Writable({ write: (chunk: Buffer, _encoding, done) => { logs.push(chunk.toString('utf8')); done(); } });
    const config = loadPartnerDemoConfig({ PARTNER_DEMO_URL: 'http://127.0.0.1:4002', PARTNER_DEMO_WEBHOOKS: 'false' });
    const http = createServer(createPartnerDemo(config, { logDestination }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const answer = await fetch(`${url}/callback?code=secret-code-123&state=secret-state-456`, {
        headers: { cookie: 'partner_demo_session=secret-cookie-789', 'x-fapi-interaction-id': 'partner-log-1' },
      });
      await answer.arrayBuffer();
      expect(answer.headers.get('x-fapi-interaction-id')).toBe('partner-log-1');
      const lines = logs.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      const line = lines.find((candidate) => candidate.interactionId === 'partner-log-1' && candidate.res !== undefined);
      expect(Object.keys(line ?? {}).sort()).toEqual([...REQUEST_LINE_FIELDS].sort());
      expect(line).toMatchObject({ service: 'partner-demo', req: { method: 'GET', path: '/callback?[query omitted]' }, res: { statusCode: 400 } });
      expect(logs.join('')).not.toMatch(/secret-(code|state|cookie)/);
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  test('LOG_LEVEL is read as in the bank\'s services: info by default, an unknown level refused', () => {
    expect(loadPartnerDemoConfig({}).logLevel).toBe('info');
    expect(loadPartnerDemoConfig({ LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(() => loadPartnerDemoConfig({ LOG_LEVEL: 'loud' })).toThrow(PartnerDemoConfigError);
  });
});
