import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { startTestAuthServer } from '../testing/index.ts';
import type { TestAuthServer } from '../testing/index.ts';

// `/healthz` and `/readyz` (docs/cluster.md: HAProxy sends traffic to instances whose `/readyz` answers 200).
let server: TestAuthServer;

beforeAll(async () => {
  server = await startTestAuthServer();
});
afterAll(async () => {
  await server?.close();
});

/** GET `path` on the server with the given Host header (fetch cannot set Host). */
function getWithHost(path: string, host: string): Promise<{ status: number; contentType: string; body: string }> {
  const url = new URL(path, server.issuer);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({
        status: incoming.statusCode ?? 0, contentType: String(incoming.headers['content-type']), body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Runs `sql` on the test server's maintenance connection (`TEST_DATABASE_URL`), outside the test's own database. */
async function asAdmin(sql: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
}

describe('health routes of the authorization server', () => {
  test('/healthz answers ok and /readyz ready while the database answers, never cached', async () => {
    const health = await fetch(`${server.issuer}/healthz`);
    expect([health.status, health.headers.get('cache-control'), await health.json()]).toEqual([200, 'no-store', { status: 'ok' }]);
    const ready = await fetch(`${server.issuer}/readyz`);
    expect([ready.status, ready.headers.get('cache-control'), await ready.json()]).toEqual([200, 'no-store', { status: 'ready' }]);
  });

  test('a probe that addresses the instance rather than the issuer gets its answer, while any other page for that host stays 421', async () => {
    const probeHost = 'instance-1.internal:4101';
    expect(await getWithHost('/readyz', probeHost)).toMatchObject({ status: 200, body: '{"status":"ready"}' });
    expect(await getWithHost('/healthz', probeHost)).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    expect((await getWithHost('/.well-known/openid-configuration', probeHost)).status).toBe(421);
  });

  test('/readyz answers 503 problem+json database_unavailable while the database refuses connections, and ready again once it accepts them', async () => {
    await asAdmin(`ALTER DATABASE ${pg.escapeIdentifier(server.database.name)} ALLOW_CONNECTIONS false`);
    try {
      await asAdmin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [server.database.name]);
      const refused = await fetch(`${server.issuer}/readyz`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toEqual({
        type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the database does not answer', code: 'database_unavailable',
      });
      expect((await fetch(`${server.issuer}/healthz`)).status).toBe(200);
    } finally {
      await asAdmin(`ALTER DATABASE ${pg.escapeIdentifier(server.database.name)} ALLOW_CONNECTIONS true`);
    }
    const ready = await fetch(`${server.issuer}/readyz`);
    expect(ready.status).toBe(200);
  });
});
