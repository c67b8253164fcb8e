import type { RequestHandler } from 'express';
import { insufficientScope } from './challenge.ts';
import { authenticatedOf } from './request-token.ts';

/**
 * Route step for what belongs to the client itself, not to a user (docs/webhooks.md: webhook
 * endpoints, the event log): the token must carry `scope` and be a client-credentials token
 * (RFC 6749 §4.4; see `AccessToken.clientCredentials`). A user's token is refused even with the
 * scope (the authorization server never puts it in a user's grant): a user's consent never covers
 * the client's other users' events.
 *
 * @throws (to the error handler) 403 `insufficient_scope` naming the scope (RFC 6750 §3.1); for a
 *   user's token, the detail says a client-credentials token is needed
 */
export function requireClientScope(scope: string): RequestHandler {
  return (req, _res, next) => {
    const { token, scheme } = authenticatedOf(req);
    if (!token.scopes.has(scope)) throw insufficientScope(scheme, scope);
    if (!token.clientCredentials) {
      throw insufficientScope(scheme, scope, `this endpoint needs a client-credentials token with the scope ${scope}; a user's token never grants it`);
    }
    next();
  };
}
