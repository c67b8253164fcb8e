import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { createKnexAdapter } from '../adapter/index.ts';

/**
 * Issues an initial access token for dynamic client registration (RFC 7591 §3): a third-party
 * developer presents it as a Bearer token to `POST /reg` to register one client.
 *
 * @param ttlSeconds lifetime, default 7 days
 * @returns the token value, to hand to the developer
 */
export async function createInitialAccessToken(db: Knex, ttlSeconds = 7 * 24 * 3600): Promise<{ initial_access_token: string; expires_in: number }> {
  const Adapter = createKnexAdapter(db);
  const id = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  await new Adapter('InitialAccessToken').upsert(id, { jti: id, kind: 'InitialAccessToken', iat: now, exp: now + ttlSeconds }, ttlSeconds);
  return { initial_access_token: id, expires_in: ttlSeconds };
}
