import type { RequestHandler } from 'express';
import type { AccessToken } from './access-token.ts';
import { InvalidTokenError } from './access-token.ts';
import { unauthorized } from './challenge.ts';
import type { TokenScheme } from './challenge.ts';
import type { DpopRequest } from './dpop-proof.ts';
import { isAuthenticated, setAuthenticated } from './request-token.ts';

/** `Authorization: <scheme> <token>`; the token is RFC 6750 §2.1's b64token. Scheme names are case-insensitive. */
const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** Longer `Authorization` values are refused unread (our tokens are about 1 KB). */
const AUTHORIZATION_LENGTH_MAX = 8_192;

/**
 * Route step: reads the access token from the `Authorization` header only (never the query
 * string or body, RFC 6750 §2 / RFC 9700 §2.5), validates it, and for DPoP-bound tokens
 * (`cnf.jkt`) requires the `DPoP` scheme and a valid proof (RFC 9449 §7.1); a bound token sent as
 * `Bearer`, or an unbound one sent as `DPoP`, is refused.
 *
 * @param verifyToken see `createAccessTokenVerifier`
 * @param verifyProof see `createDpopProofVerifier`
 * @throws (to the error handler) 401 `invalid_token` / `invalid_dpop_proof` with `WWW-Authenticate`
 */
export function authenticate(
  verifyToken: (token: string) => Promise<AccessToken>,
  verifyProof: (request: DpopRequest, token: AccessToken) => Promise<void>,
): RequestHandler {
  return async (req, _res, next) => {
    // The app authenticates every /v1 request before validating it; the routes name the step too.
    // Running it twice would also refuse a DPoP proof as replayed.
    if (isAuthenticated(req)) {
      next();
      return;
    }
    const header = req.headers.authorization;
    const match = header && header.length <= AUTHORIZATION_LENGTH_MAX ? AUTHORIZATION.exec(header) : null;
    if (!match) {
      throw unauthorized('Bearer', header ? 'the Authorization header is malformed' : 'an access token is required in the Authorization header');
    }
    const scheme: TokenScheme = (match[1] as string).toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    let token: AccessToken;
    try {
      token = await verifyToken(match[2] as string);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw unauthorized(scheme, error.message);
      throw error;
    }
    if (token.jkt !== null && scheme === 'Bearer') {
      throw unauthorized('DPoP', 'this access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
    }
    if (token.jkt === null && scheme === 'DPoP') {
      throw unauthorized('Bearer', 'this access token is not DPoP-bound: send it with the Bearer scheme');
    }
    if (scheme === 'DPoP') {
      const proofs = req.headersDistinct.dpop ?? [];
      await verifyProof({ method: req.method, originalUrl: req.originalUrl, proofs }, token);
    }
    setAuthenticated(req, { token, scheme });
    next();
  };
}
