import type { Request, RequestHandler } from 'express';
import type { AccessToken } from './access-token.ts';
import { InvalidTokenError } from './access-token.ts';
import { unauthorized } from './challenge.ts';
import type { TokenScheme } from './challenge.ts';
import { claimDpopProof } from './dpop-proof.ts';
import type { DpopRequest } from './dpop-proof.ts';
import type { DpopProofUse, DpopReplayStore } from './dpop-replay-store.ts';
import type { RevocationCheck } from './revocations.ts';
import { isAuthenticated, setAuthenticated, takeUnclaimedProof } from './request-token.ts';

/** `Authorization: <scheme> <token>`; the token is RFC 6750 §2.1's b64token. Scheme names are case-insensitive. */
const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** Longer `Authorization` values are refused unread (our tokens are about 1 KB). */
const AUTHORIZATION_LENGTH_MAX = 8_192;

/** What {@link createAuthentication} needs. */
export interface AuthenticationParts {
  /** see `createAccessTokenVerifier` */
  verifyToken: (token: string) => Promise<AccessToken>;
  /** see `createDpopProofVerifier` */
  verifyProof: (request: DpopRequest, token: AccessToken) => Promise<DpopProofUse>;
  /** where DPoP proof uses are remembered */
  replayStore: DpopReplayStore;
  /**
   * Accept DPoP-bound tokens only (`SECURITY_PROFILE=fapi2`, FAPI 2.0 §5.3.2.2 point 5): a token
   * sent with the Bearer scheme is refused before it is read. Default false.
   */
  requireDpop?: boolean;
  /** whether the token's grant or payment consent was revoked (`createRevocationWatch`, or the database on every call) */
  revocations: RevocationCheck;
}

/** The two steps of {@link createAuthentication}. */
export interface Authentication {
  /**
   * Before the request is parsed and validated (the app's `/v1` step, `limitRate`): reads and
   * checks the credentials, so a call without a usable token is 401 whatever else is wrong with it
   * (RFC 6750 §3.1). It does not yet remember a DPoP proof.
   *
   * @throws 401 `invalid_token` / `invalid_dpop_proof` as {@link createAuthentication} says
   */
  checkCredentials: (req: Request) => Promise<void>;
  /**
   * Route step, after validation: the credentials (checked now unless `checkCredentials` did), then
   * the DPoP proof's use claimed in the replay store. A request refused before its route (400 for
   * a malformed query, 404…) never takes room in the store.
   */
  authenticate: RequestHandler;
}

/**
 * Reads the access token from the `Authorization` header only (never the query string or body,
 * RFC 6750 §2 / RFC 9700 §2.5), validates it, refuses it when its grant or one of its payment
 * consents was revoked (docs/resource-api.md, "Revocation at once": every call, reads included), and for DPoP-bound tokens (`cnf.jkt`) requires the
 * `DPoP` scheme and a valid proof (RFC 9449 §7.1); a bound token sent as `Bearer`, or an unbound
 * one sent as `DPoP`, is refused. Each proof is used once (RFC 9449 §11.1). With `requireDpop`,
 * `Bearer` is refused whatever the token.
 *
 * @throws (to the error handler) 401 `invalid_token` / `invalid_dpop_proof` with `WWW-Authenticate`;
 *   429 / 503 from `claimDpopProof`
 */
export function createAuthentication(parts: AuthenticationParts): Authentication {
  const checkCredentials = async (req: Request): Promise<void> => {
    if (!isAuthenticated(req)) await readCredentials(req, parts);
  };
  const authenticate: RequestHandler = async (req, _res, next) => {
    if (!isAuthenticated(req)) await readCredentials(req, parts);
    const use = takeUnclaimedProof(req);
    if (use) await claimDpopProof(parts.replayStore, use);
    next();
  };
  return { checkCredentials, authenticate };
}

async function readCredentials(req: Request, parts: AuthenticationParts): Promise<void> {
  const header = req.headers.authorization;
  const match = header && header.length <= AUTHORIZATION_LENGTH_MAX ? AUTHORIZATION.exec(header) : null;
  if (!match) {
    throw unauthorized('Bearer', header ? 'the Authorization header is malformed' : 'an access token is required in the Authorization header');
  }
  const scheme: TokenScheme = (match[1] as string).toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
  if (parts.requireDpop && scheme === 'Bearer') {
    throw unauthorized('DPoP', 'this API accepts DPoP-bound access tokens only (FAPI 2.0): send the token with the DPoP scheme and a DPoP proof');
  }
  let token: AccessToken;
  try {
    token = await parts.verifyToken(match[2] as string);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthorized(scheme, error.message);
    throw error;
  }
  const revoked = parts.revocations.isRevoked(token);
  if (revoked === true || (revoked !== false && await revoked)) {
    throw unauthorized(scheme, token.clientCredentials ? 'this access token has been revoked' : 'the grant or consent behind this access token has been revoked');
  }
  if (token.jkt !== null && scheme === 'Bearer') {
    throw unauthorized('DPoP', 'this access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
  }
  if (token.jkt === null && scheme === 'DPoP') {
    throw unauthorized('Bearer', 'this access token is not DPoP-bound: send it with the Bearer scheme');
  }
  let unclaimedProof: DpopProofUse | null = null;
  if (scheme === 'DPoP') {
    const proofs = req.headersDistinct.dpop ?? [];
    unclaimedProof = await parts.verifyProof({ method: req.method, originalUrl: req.originalUrl, proofs }, token);
  }
  setAuthenticated(req, { token, scheme }, unclaimedProof);
}
