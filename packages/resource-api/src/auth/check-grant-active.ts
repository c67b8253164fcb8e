import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import { unauthorized } from './challenge.ts';
import { authenticatedOf } from './request-token.ts';

/**
 * Route step for every `transfers:write` call: the token's grant must still be active, asked of
 * the authorization server's SQL function `auth.access_token_is_active(jti)` in the shared
 * database (README, "Grant-state check"). A user who revoked the app stops money movement at
 * once, though the token itself is still unexpired.
 *
 * @throws (to the error handler) 401 `invalid_token` when the grant or token was revoked or is unknown
 */
export function checkGrantActive(db: Knex): RequestHandler {
  return async (req, _res, next) => {
    const { token, scheme } = authenticatedOf(req);
    const { rows } = await db.raw<{ rows: Array<{ active: boolean | null }> }>(
      'SELECT auth.access_token_is_active(?) AS active', [token.jti]);
    if (rows[0]?.active !== true) throw unauthorized(scheme, 'the grant behind this access token has been revoked');
    next();
  };
}
