import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import { createClient } from '../clients/create-client.ts';
import { createAuthTestDatabase } from '../test-support.ts';
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
