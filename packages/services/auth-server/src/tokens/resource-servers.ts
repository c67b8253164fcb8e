import type { Knex } from 'knex';
import type { ClientCache } from '../adapter/client-cache.ts';

/**
 * Clients registered as resource servers may introspect any token (RFC 7662 §4); every other client
 * sees only its own tokens as active. Kept outside client metadata so that a client cannot grant
 * itself the role through dynamic registration. Read through `cache` when given (see `ClientCache`).
 */
export async function isResourceServer(db: Knex, clientId: string, cache?: ClientCache): Promise<boolean> {
  const load = async (): Promise<boolean> => {
    const { rows } = await db.raw<{ rows: unknown[] }>(`SELECT 1 FROM auth.resource_servers WHERE client_id = ?`, [clientId]);
    return rows.length === 1;
  };
  return cache ? cache.resourceServer(clientId, load) : load();
}

/** Registers a client as a resource server (operator CLI `clients:create --resource-server`). */
export async function addResourceServer(db: Knex, clientId: string): Promise<void> {
  await db.raw(`INSERT INTO auth.resource_servers (client_id) VALUES (?) ON CONFLICT DO NOTHING`, [clientId]);
}
