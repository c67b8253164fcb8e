import type { RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { unauthorized } from './challenge.ts';
import { authenticatedOf } from './request-token.ts';

/**
 * Route step for every `transfers:write` call: the token's grant must still be active, asked of
 * the authorization server's SQL function `auth.access_token_account_ids(jti)` in the shared
 * database (README, "Grant-state check"). A user who revoked the app stops money movement at
 * once, though the token itself is still unexpired. The function also gives the grant's accounts
 * as consented now, kept for {@link grantAccountIdsOf}: an account unticked at a later consent is
 * no longer usable with a token issued before it.
 *
 * @throws (to the error handler) 401 `invalid_token` when the grant or token was revoked or is unknown
 */
export function checkGrantActive(db: Knex): RequestHandler {
  return async (req, res, next) => {
    const { token, scheme } = authenticatedOf(req);
    const { rows } = await db.raw<{ rows: Array<{ account_ids: string[] | null }> }>(
      'SELECT auth.access_token_account_ids(?) AS account_ids', [token.jti]);
    const current = rows[0]?.account_ids;
    if (!current) throw unauthorized(scheme, 'the grant behind this access token has been revoked');
    res.locals.grantAccountIds = new Set(current);
    next();
  };
}

/** The accounts the grant allows now, as read by {@link checkGrantActive} (empty when it did not run). */
export function grantAccountIdsOf(res: Response): ReadonlySet<string> {
  const ids: unknown = res.locals.grantAccountIds;
  return ids instanceof Set ? (ids as Set<string>) : new Set();
}
