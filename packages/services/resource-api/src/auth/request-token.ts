import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { AccessToken } from './access-token.ts';
import type { TokenScheme } from './challenge.ts';
import type { DpopProofUse } from './dpop-replay-store.ts';

/** The validated token of a request and how it was presented. */
export interface Authenticated {
  token: AccessToken;
  scheme: TokenScheme;
}

interface RequestCredentials extends Authenticated {
  /** A checked DPoP proof whose use is not yet remembered; nothing may read the token until it is. */
  unclaimedProof: DpopProofUse | null;
}

const byRequest = new WeakMap<Request, RequestCredentials>();

/** Attaches the validated token (and the DPoP proof use still to claim) to the request; done once, by `authenticate`. */
export function setAuthenticated(req: Request, authenticated: Authenticated, unclaimedProof: DpopProofUse | null = null): void {
  byRequest.set(req, { ...authenticated, unclaimedProof });
}

/** The DPoP proof use still to claim, if any; from now on the token may be read. */
export function takeUnclaimedProof(req: Request): DpopProofUse | null {
  const credentials = byRequest.get(req);
  if (!credentials) return null;
  const use = credentials.unclaimedProof;
  credentials.unclaimedProof = null;
  return use;
}

/**
 * The validated token of the request.
 *
 * @throws {Error} when `authenticate` did not run first, or its DPoP proof was not claimed (a
 *   replayed proof could otherwise be served): a route wiring bug, not a client error
 */
export function authenticatedOf(req: Request): Authenticated {
  const credentials = byRequest.get(req);
  if (!credentials) throw new Error('route wiring: authenticate must run before this step');
  if (credentials.unclaimedProof) throw new Error('route wiring: the route step authenticate must claim the DPoP proof first');
  return { token: credentials.token, scheme: credentials.scheme };
}

/** True when this request's token was already validated (it is read once per request). */
export function isAuthenticated(req: Request): boolean {
  return byRequest.has(req);
}

/**
 * The `client_id` of the request's validated access token, for the request log; undefined while
 * no token has passed (a 401 names no client: an unverified claim could name anyone).
 */
export function authenticatedClientIdOf(req: IncomingMessage): string | undefined {
  return byRequest.get(req as Request)?.token.clientId;
}
