import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { AccessToken } from './access-token.ts';
import { unauthorized } from './challenge.ts';
import type { TokenScheme } from './challenge.ts';
import { authenticatedOf } from './request-token.ts';

/**
 * The grant-state question asked of the authorization server's SQL function in the shared database
 * (docs/authorization-server.md, "Grant-state check"), with one `?` for the token's `jti`: the accounts the token's grant
 * allows now (`text[]`), or NULL when the grant or token was revoked or is unknown: asked by the
 * routes below on every call, whatever this process has been notified of. A POST of a transfer asks it inside `api.post_transfer` instead
 * (see `routes/post-transfer-with-grant.ts`).
 */
const grantAccountIdsQuery = 'auth.access_token_account_ids(?)';

/**
 * Asks whether the token's grant is still active (one query); for a client-credentials token, which
 * has no grant, whether the token itself was revoked (RFC 7009).
 *
 * @throws {ApiProblem} 401 `invalid_token` when the grant or token was revoked or is unknown
 */
export async function checkGrantActive(db: Knex, token: AccessToken, scheme: TokenScheme): Promise<void> {
  const { rows } = await db.raw<{ rows: Array<{ account_ids: string[] | null }> }>(
    `SELECT ${grantAccountIdsQuery} AS account_ids`, [token.jti]);
  if (!rows[0]?.account_ids) {
    throw unauthorized(scheme, token.clientCredentials ? 'this access token has been revoked' : 'the grant behind this access token has been revoked');
  }
}

/**
 * Route step running {@link checkGrantActive}: `GET /v1/transfers/{id}`, the webhook and event routes (the POST of a
 * transfer asks inside its statement). Every call, reads included, is also checked against the
 * revocations this process was notified of (`authenticate`, docs/resource-api.md "Revocation at once").
 */
export function requireActiveGrant(db: Knex): RequestHandler {
  return async (req, _res, next) => {
    const { token, scheme } = authenticatedOf(req);
    await checkGrantActive(db, token, scheme);
    next();
  };
}
