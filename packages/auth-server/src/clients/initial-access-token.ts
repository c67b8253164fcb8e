import type { Knex } from 'knex';
import type { Next } from 'koa';
import { randomBytes } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { createKnexAdapter } from '../adapter/index.ts';
import { THIRD_PARTY_POLICY } from './registration-policy.ts';

/**
 * Issues an initial access token for dynamic client registration (RFC 7591 §3): a third-party
 * developer presents it as a Bearer token to `POST /reg` to register one client (it is consumed
 * by {@link consumeInitialAccessToken}).
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
 * Provider middleware making initial access tokens single-use: oidc-provider accepts one for any
 * number of registrations until it expires, so after a successful registration (`201`) the token
 * that authorized it is destroyed. A refused registration (invalid metadata) leaves it usable.
 * Requests racing with the same token may each register one client before it is gone.
 */
export async function consumeInitialAccessToken(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'registration' || ctx.status !== 201) return;
  await ctx.oidc.entities.InitialAccessToken?.destroy();
}
