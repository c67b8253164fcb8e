import Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';

/**
 * Grants read together with a token, kept for the rest of the request that read them.
 *
 * oidc-provider reads a token (a refresh token at introspection or at the token endpoint, an
 * authorization code, an access token) and then, one round trip later, the token's Grant. The
 * adapter reads both in one statement (see store-reads.ts) and leaves the grant here, keyed by the
 * request oidc-provider is serving (`Provider.ctx`, its AsyncLocalStorage) and the grant id; the
 * Grant model's `find` in the same request takes it instead of querying. So the grant is exactly
 * what the database held when the token was read, in the same snapshot, a moment earlier than the
 * second query would have seen it.
 *
 * An entry is taken once (a second `find` of the grant queries), is dropped by any write or delete of
 * that grant through the adapter, and goes with its request (weakly held). Outside a request served
 * by oidc-provider (our own pages, the CLI, tests calling the adapter) nothing is kept.
 */
const byRequest = new WeakMap<object, Map<string, AdapterPayload | null>>();

/**
 * Keeps the grant read with a token for the current request.
 *
 * @param payload the live Grant's payload, or null when the token's grant was gone (revoked, expired)
 */
export function keepPrefetchedGrant(grantId: string, payload: AdapterPayload | null): void {
  const ctx = Provider.ctx;
  if (!ctx) return;
  let grants = byRequest.get(ctx);
  if (!grants) {
    grants = new Map();
    byRequest.set(ctx, grants);
  }
  grants.set(grantId, payload);
}

/**
 * Takes the grant kept by {@link keepPrefetchedGrant} in the current request, removing it.
 *
 * @returns its payload, null for a grant that was gone, undefined when none was kept
 */
export function takePrefetchedGrant(grantId: string): AdapterPayload | null | undefined {
  const grants = currentGrants();
  const payload = grants?.get(grantId);
  grants?.delete(grantId);
  return payload;
}

/** Forgets what the current request kept of a grant (it is being written or deleted). */
export function forgetPrefetchedGrant(grantId: string): void {
  currentGrants()?.delete(grantId);
}

function currentGrants(): Map<string, AdapterPayload | null> | undefined {
  const ctx = Provider.ctx;
  return ctx ? byRequest.get(ctx) : undefined;
}
