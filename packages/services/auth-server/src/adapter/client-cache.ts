import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import pg from 'pg';

/** The channel the triggers of migration 20261130_05 notify, with the changed client's id as payload (`*`: all). */
export const CLIENT_CHANGED_CHANNEL = 'auth_client_changed';

/** Options of {@link startClientCache}. */
export interface ClientCacheOptions {
  /** Entries kept at most (default 1,000 clients, each with its resource-server flag and secret hashes). */
  max?: number;
  /** Longest an entry is trusted without a notification, ms (default 60,000): a backstop, not the mechanism. */
  ttlMs?: number;
  /**
   * How often the listening connection is checked with a query, ms (default 5,000); a check that
   * fails or takes longer than `heartbeatTimeoutMs` (default 3,000) counts as a lost connection. A
   * connection that dies without a word (a NAT or firewall dropping it) would otherwise look healthy.
   */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  /** First wait before listening again after the listening connection failed, ms (default 500; doubles up to 30 s). */
  reconnectMs?: number;
}

/**
 * Client metadata, the resource-server flag and the secret hashes, read through a cache that
 * PostgreSQL keeps honest: every change of a `Client` row in `auth.oidc_store`, of
 * `auth.resource_servers`, `auth.client_secrets` or `auth.partner_apps` notifies
 * {@link CLIENT_CHANGED_CHANNEL} (triggers, migrations 20261130_05 and 20261207_08) when it commits, and the cache
 * drops that client at once. Token requests and introspection then read the client from memory
 * instead of the database (one SQL round trip fewer per token, two per introspection).
 *
 * While the listening connection is down (and until it listens again) nothing is cached or
 * served from the cache: every read goes to the database, so a missed notification can never
 * leave a deleted client or a rotated secret usable. The connection uses TCP keep-alive and a
 * heartbeat query every 5 s (3 s timeout), so even a connection dropped silently by the network is
 * noticed within about 8 s. Needs a direct or session-pooled connection: LISTEN does not work
 * through a transaction-pooling proxy (the heartbeat would pass, notifications would not come),
 * so point `DATABASE_URL` of the authorization server past such a proxy. A read that overlaps a notification is not
 * cached. Unknown client ids are not cached (they come from requests); the resource-server flag is
 * cached either way (it is only asked for authenticated clients).
 */
export interface ClientCache {
  /** The `Client` payload, from the cache or from `load` (the adapter's database read). */
  client<T extends object>(clientId: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
  /** Whether the client is a registered resource server, from the cache or from `load`. */
  resourceServer(clientId: string, load: () => Promise<boolean>): Promise<boolean>;
  /**
   * The client's secret hashes (`ClientSecretVerifiers`), from the cache or from `load`. The end
   * of a rotation's overlap is a time, not a change, so whoever uses them checks it at each use.
   */
  clientSecrets<T extends object>(clientId: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
  /** True while notifications are being received (the cache is in use). */
  listening(): boolean;
  /** Stops listening and empties the cache. */
  close(): Promise<void>;
}

/**
 * Starts listening for client changes on a connection of its own (not from `db`'s pool) and
 * returns the cache; resolves once listening (or, when that first attempt fails, with the cache
 * bypassed until a retry succeeds).
 *
 * @param db knex on the authorization server's database: its connection settings are reused
 */
export async function startClientCache(db: Knex, options: ClientCacheOptions = {}): Promise<ClientCache> {
  const entries = new LRUCache<string, object | boolean>({ max: (options.max ?? 1_000) * 3, ttl: options.ttlMs ?? 60_000 });
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3_000;
  const connection: pg.ClientConfig = {
    ...((db.client as { config: Knex.Config }).config.connection as pg.ClientConfig),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
  const firstReconnectMs = options.reconnectMs ?? 500;
  let listener: pg.Client | undefined;
  let healthy = false;
  let closed = false;
  /** Bumped by every notification and every loss of the listener: a read that saw it change is not cached. */
  let generation = 0;
  let reconnectMs = firstReconnectMs;
  let retry: NodeJS.Timeout | undefined;
  const heartbeat = setInterval(() => {
    const client = listener;
    if (!client || !healthy) return;
    const timer = setTimeout(() => lost(client), heartbeatTimeoutMs);
    client.query('SELECT 1').then(() => clearTimeout(timer), () => {
      clearTimeout(timer);
      lost(client);
    });
  }, options.heartbeatMs ?? 5_000);
  heartbeat.unref();

  const lost = (client: pg.Client): void => {
    if (listener !== client) return;
    listener = undefined;
    healthy = false;
    generation += 1;
    entries.clear();
    client.end().catch(() => undefined);
    if (!closed) {
      retry = setTimeout(() => void listen(), reconnectMs);
      retry.unref();
      reconnectMs = Math.min(reconnectMs * 2, 30_000);
    }
  };

  async function listen(): Promise<void> {
    const client = new pg.Client(connection);
    listener = client;
    client.on('error', () => lost(client));
    client.on('end', () => lost(client));
    client.on('notification', (message) => {
      generation += 1;
      const clientId = message.payload ?? '*';
      if (clientId === '*') {
        entries.clear();
      } else {
        entries.delete(`client:${clientId}`);
        entries.delete(`rs:${clientId}`);
        entries.delete(`secrets:${clientId}`);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CLIENT_CHANGED_CHANNEL}`);
      if (closed || listener !== client) {
        await client.end().catch(() => undefined);
        return;
      }
      // Anything cached before (or read while not listening) may have missed a change.
      generation += 1;
      entries.clear();
      healthy = true;
      reconnectMs = firstReconnectMs;
    } catch {
      lost(client);
    }
  }

  async function through<T extends object | boolean>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (healthy) {
      const cached = entries.get(key);
      if (cached !== undefined) return cached as T;
    }
    const before = generation;
    const value = await load();
    if (value !== undefined && healthy && generation === before) entries.set(key, value);
    return value;
  }

  await listen();
  return {
    client: (clientId, load) => through(`client:${clientId}`, load),
    resourceServer: async (clientId, load) => (await through(`rs:${clientId}`, load)) === true,
    clientSecrets: (clientId, load) => through(`secrets:${clientId}`, load),
    listening: () => healthy,
    async close() {
      closed = true;
      healthy = false;
      clearInterval(heartbeat);
      if (retry) clearTimeout(retry);
      entries.clear();
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
