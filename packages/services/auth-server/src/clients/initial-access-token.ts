import type { Knex } from 'knex';
import type { Next } from 'koa';
import { randomBytes } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { createKnexAdapter, releaseInitialAccessToken } from '../adapter/index.ts';
import { THIRD_PARTY_POLICY } from './registration-policy.ts';

/**
 * Issues an initial access token for dynamic client registration (RFC 7591 §3): a third-party
 * developer presents it as a Bearer token to `POST /reg` to register one client. It is single-use:
 * the registration claims it atomically before registering (the adapter's `find`, see
 * `claimInitialAccessToken`), so parallel registrations with one token give one `201` and `401`
 * `invalid_token` ("already used") for the rest; a registration refused for its metadata gives it
 * back ({@link keepInitialAccessTokenOnRefusal}).
 *
 * @param ttlSeconds lifetime, default 7 days
 * @returns the token value, to hand to the developer
 */
export async function createInitialAccessToken(db: Knex, ttlSeconds = 7 * 24 * 3600): Promise<{ initial_access_token: string; expires_in: number }> {
  const Adapter = createKnexAdapter(db);
  const id = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  await new Adapter('InitialAccessToken').upsert(id, { jti: id, kind: 'InitialAccessToken', iat: now, exp: now + ttlSeconds, policies: [THIRD_PARTY_POLICY] }, ttlSeconds);
  return { initial_access_token: id, expires_in: ttlSeconds };
}

/**
 * Provider middleware: when a registration (`POST /reg`, RFC 7591 §3.2.2) is refused with `400`
 * for its metadata (`invalid_client_metadata`, `invalid_redirect_uri`, `invalid_request`), gives
 * the initial access token that request had claimed back, so a developer's typo does not waste it.
 * Safe against racing requests: the token stays claimed while the refused request runs, so the
 * others get `401` meanwhile, and it is given back only when no client was registered. Any other
 * outcome (`201`, a server error) leaves it spent.
 */
export function keepInitialAccessTokenOnRefusal(db: Knex) {
  return async function keepOnRefusal(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    await next();
    if (ctx.oidc?.route !== 'registration' || ctx.method !== 'POST' || ctx.status !== 400) return;
    const token = ctx.oidc.entities.InitialAccessToken;
    if (!token?.jti || ctx.oidc.entities.Client) return;
    await releaseInitialAccessToken(db, token.jti);
  };
}
