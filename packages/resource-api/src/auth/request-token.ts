import type { Request } from 'express';
import type { AccessToken } from './access-token.ts';
import type { TokenScheme } from './challenge.ts';

/** The validated token of a request and how it was presented. */
export interface Authenticated {
  token: AccessToken;
  scheme: TokenScheme;
}

const byRequest = new WeakMap<Request, Authenticated>();

/** Attaches the validated token to the request (done once, by `authenticate`). */
export function setAuthenticated(req: Request, authenticated: Authenticated): void {
  byRequest.set(req, authenticated);
}

/**
 * The validated token of the request.
 *
 * @throws {Error} when `authenticate` did not run first: a route wiring bug, not a client error
 */
export function authenticatedOf(req: Request): Authenticated {
  const authenticated = byRequest.get(req);
  if (!authenticated) throw new Error('route wiring: authenticate must run before this step');
  return authenticated;
}

/** True when `authenticate` already validated this request's token (it runs once per request). */
export function isAuthenticated(req: Request): boolean {
  return byRequest.has(req);
}
