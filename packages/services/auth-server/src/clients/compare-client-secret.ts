import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { ClientCache } from '../adapter/client-cache.ts';
import { clientSecretMatches, loadClientSecretVerifiers } from './client-secret-storage.ts';

/**
 * Makes `provider` check presented client secrets (RFC 6749 §2.3.1, `client_secret_basic` and
 * `client_secret_post` alike) against the SHA-256 hashes in `auth.client_secrets` instead of the
 * `client_secret` of the client's metadata, which only holds a placeholder.
 *
 * oidc-provider authenticates every client that presents a secret, at every endpoint (token,
 * introspection, revocation, pushed authorization requests), through the client's
 * `compareClientSecret`, which it awaits; overriding that prototype method is the library's
 * documented way to store secrets hashed (oidc-provider changelog: "allow overloading prototype for
 * comparing client secrets", issue 631). The hashes are read through `cache` when given (the same
 * notifications drop them as the client's metadata), so a token request costs no extra query.
 * Features that need the secret itself as a key (`client_secret_jwt`, HS* algorithms) are not
 * enabled (see `baseConfiguration`).
 *
 * @param provider a new provider (each provider has its own Client class)
 */
export function useHashedClientSecrets(provider: Provider, db: Knex, cache?: ClientCache): void {
  const load = (clientId: string) => loadClientSecretVerifiers(db, clientId);
  provider.Client.prototype.compareClientSecret = async function compareHashedClientSecret(presented: string): Promise<boolean> {
    if (typeof presented !== 'string' || presented === '') return false;
    const clientId = this.clientId;
    const verifiers = cache ? await cache.clientSecrets(clientId, () => load(clientId)) : await load(clientId);
    return verifiers !== undefined && clientSecretMatches(verifiers, presented, Date.now());
  };
}
