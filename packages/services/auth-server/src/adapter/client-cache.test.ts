import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import { createClient } from '../clients/create-client.ts';
import { loadAuthServerConfig } from '../config.ts';
import { createAuthServer } from '../server.ts';
import { createAuthTestDatabase } from '../testing/index.ts';
import { addResourceServer, isResourceServer } from '../tokens/resource-servers.ts';
import { startClientCache } from './client-cache.ts';
import type { ClientCache } from './client-cache.ts';
import { createKnexAdapter } from './knex-adapter.ts';

let database: TestDatabase;
let cache: ClientCache;
/** Database reads the cache let through, per key. */
const loads = new Map<string, number>();

beforeAll(async () => {
  database = await createAuthTestDatabase();
  cache = await startClientCache(database.db, { reconnectMs: 50 });
});
afterAll(async () => {
  await cache.close();
  await database.drop();
});

/** Reads a client through the cache like the adapter does, counting database reads. */
async function readClient(clientId: string): Promise<Record<string, unknown> | undefined> {
  const Adapter = createKnexAdapter(database.db);
  const direct = new Adapter('Client');
  return cache.client(clientId, async () => {
    loads.set(clientId, (loads.get(clientId) ?? 0) + 1);
    return direct.find(clientId) as Promise<Record<string, unknown> | undefined>;
  });
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met within 2 s');
}

describe('ClientCache', () => {
  test('reads a client from the database once, then from memory', async () => {
    const { client_id: clientId } = await createClient(database.db, { name: 'Cached App', redirectUris: ['https://app.example/cb'] });
    expect(cache.listening()).toBe(true);
    // The notification of the client's own creation may arrive during the first read, which is then not cached.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await readClient(clientId))?.client_name).toBe('Cached App');
    expect((await readClient(clientId))?.client_name).toBe('Cached App');
    expect((await readClient(clientId))?.client_name).toBe('Cached App');
    expect(loads.get(clientId)).toBe(1);
  });

  test('a change committed by anyone (another server, the CLI) is seen at the next read after its notification', async () => {
    const { client_id: clientId } = await createClient(database.db, { name: 'Renamed App', redirectUris: ['https://app.example/cb'] });
    await readClient(clientId);
    await database.db.raw(
      `UPDATE auth.oidc_store SET payload = jsonb_set(payload, '{client_name}', '"New Name"') WHERE model = 'Client' AND id = ?`, [clientId]);
    await eventually(async () => (await readClient(clientId))?.client_name === 'New Name');
    await database.db.raw(`DELETE FROM auth.oidc_store WHERE model = 'Client' AND id = ?`, [clientId]);
    await eventually(async () => (await readClient(clientId)) === undefined);
  });

  test('unknown client ids are not cached', async () => {
    expect(await readClient('cl_unknown')).toBeUndefined();
    expect(await readClient('cl_unknown')).toBeUndefined();
    expect(loads.get('cl_unknown')).toBe(2);
  });

  test('the resource-server flag follows auth.resource_servers', async () => {
    const { client_id: clientId } = await createClient(database.db, { name: 'Some API', redirectUris: ['https://api.example/cb'] });
    expect(await isResourceServer(database.db, clientId, cache)).toBe(false);
    await addResourceServer(database.db, clientId);
    await eventually(async () => isResourceServer(database.db, clientId, cache));
    await database.db.raw('DELETE FROM auth.resource_servers WHERE client_id = ?', [clientId]);
    await eventually(async () => !(await isResourceServer(database.db, clientId, cache)));
  });

  test('when the listening connection dies, nothing is served from memory until it listens again', async () => {
    const { client_id: clientId } = await createClient(database.db, { name: 'Outage App', redirectUris: ['https://app.example/cb'] });
    await readClient(clientId);
    const before = loads.get(clientId) ?? 0;
    await database.db.raw(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN auth_client_changed'`);
    await eventually(async () => !cache.listening());
    // A change made while nobody listens: missed as a notification, yet never served stale.
    await database.db.raw(
      `UPDATE auth.oidc_store SET payload = jsonb_set(payload, '{client_name}', '"During Outage"') WHERE model = 'Client' AND id = ?`, [clientId]);
    expect((await readClient(clientId))?.client_name).toBe('During Outage');
    expect(loads.get(clientId)).toBe(before + 1);
    await eventually(async () => cache.listening());
    expect((await readClient(clientId))?.client_name).toBe('During Outage');
    expect((await readClient(clientId))?.client_name).toBe('During Outage');
    expect(loads.get(clientId)).toBe(before + 2);
  });
});

describe('a listening connection that dies without a word', () => {
  test('is noticed by the heartbeat: the cache stops serving, then listens again on a new connection', async () => {
    // A TCP relay to PostgreSQL that can swallow everything on the connections it has (a NAT dropping them).
    const target = new URL(database.url);
    const sockets: Socket[] = [];
    let swallow = false;
    const relay = createServer((downstream) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      const frozenAtStart = swallow;
      sockets.push(downstream, upstream);
      downstream.on('data', (chunk) => { if (!swallow || frozenAtStart) upstream.write(chunk); });
      upstream.on('data', (chunk) => { if (!swallow || frozenAtStart) downstream.write(chunk); });
      downstream.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const viaRelay = new URL(database.url);
    viaRelay.host = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const relayDb = createDatabase({ url: viaRelay.toString() });
    const watched = await startClientCache(relayDb, { heartbeatMs: 100, heartbeatTimeoutMs: 200, reconnectMs: 50 });
    try {
      expect(watched.listening()).toBe(true);
      swallow = true;
      await eventually(async () => !watched.listening());
      // Connections made after the outage began pass: the cache listens again on one of them.
      await eventually(async () => watched.listening());
    } finally {
      await watched.close();
      await relayDb.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});

test('an authorization server that fails to start leaves no listening connection behind', async () => {
  const env = { AUTH_ISSUER: 'http://127.0.0.1:4000', RESOURCE_API_URL: 'http://127.0.0.1:4001', DATABASE_URL: database.url };
  const first = await createAuthServer(loadAuthServerConfig({ ...env, AUTH_KEY_ENCRYPTION_SECRET: 'the-first-key-encryption-secret-0123456789' }), database.db);
  await first.close();
  // Another secret cannot unseal the keys the first start made.
  await expect(createAuthServer(loadAuthServerConfig({ ...env, AUTH_KEY_ENCRYPTION_SECRET: 'another-key-encryption-secret-0123456789ab' }), database.db))
    .rejects.toThrow();
  const { rows } = await database.db.raw<{ rows: Array<{ n: string }> }>(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN auth_client_changed' AND pid <> pg_backend_pid()`);
  // The cache of this test file listens once; nothing else may.
  expect(Number(rows[0]?.n)).toBe(1);
});
