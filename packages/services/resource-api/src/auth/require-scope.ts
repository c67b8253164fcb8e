import type { RequestHandler } from 'express';
import { insufficientScope } from './challenge.ts';
import { authenticatedOf } from './request-token.ts';

/**
 * Route step: the token must carry `scope` (docs/resource-api.md).
 *
 * @throws (to the error handler) 403 `insufficient_scope` naming the scope (RFC 6750 §3.1)
 */
export function requireScope(scope: string): RequestHandler {
  return (req, _res, next) => {
    const { token, scheme } = authenticatedOf(req);
    if (!token.scopes.has(scope)) throw insufficientScope(scheme, scope);
    next();
  };
}
