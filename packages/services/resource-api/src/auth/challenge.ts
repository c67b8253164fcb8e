import { ApiProblem } from '../errors/problem.ts';

/** How the token was presented: `Authorization: Bearer` (RFC 6750) or `Authorization: DPoP` (RFC 9449 §7.1). */
export type TokenScheme = 'Bearer' | 'DPoP';

/** DPoP proof algorithms we accept, advertised in the `DPoP` challenge (RFC 9449 §7.1). */
export const DPOP_ALGORITHMS = ['ES256', 'PS256', 'EdDSA'] as const;

/** Quotes a value for an auth-param (RFC 9110 §11.2): no quotes or backslashes survive, nor control characters. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"\p{Cc}]/gu, ' ')}"`;
}

/**
 * 401 `invalid_token` (RFC 6750 §3.1) with its `WWW-Authenticate` challenge in the scheme the
 * client used; the other scheme is offered too, so a client without a token learns both.
 *
 * @param error `invalid_token` (default), or `invalid_dpop_proof` for a bad DPoP proof (RFC 9449 §7.1)
 */
export function unauthorized(scheme: TokenScheme, detail: string, error: 'invalid_token' | 'invalid_dpop_proof' = 'invalid_token'): ApiProblem {
  const failed = `${scheme} error=${quoted(error)}, error_description=${quoted(detail)}`;
  const other = scheme === 'Bearer' ? `DPoP algs="${DPOP_ALGORITHMS.join(' ')}"` : 'Bearer';
  return new ApiProblem(401, error, detail, { 'WWW-Authenticate': [failed, other] });
}

/**
 * The same problem with its `WWW-Authenticate` naming DPoP only (FAPI 2.0, `SECURITY_PROFILE=fapi2`):
 * the challenge that carries the error is given in the DPoP scheme with the accepted algorithms
 * (RFC 9449 §7.1), and no Bearer challenge is offered. A problem without a challenge is returned as it is.
 */
export function dpopOnlyChallenge(problem: ApiProblem): ApiProblem {
  const header = problem.headers['WWW-Authenticate'];
  if (header === undefined) return problem;
  const failed = [header].flat().find((challenge) => /^(Bearer|DPoP) error=/.test(challenge));
  const algs = `algs="${DPOP_ALGORITHMS.join(' ')}"`;
  const challenge = failed ? `${failed.replace(/^(Bearer|DPoP) /, 'DPoP ')}, ${algs}` : `DPoP ${algs}`;
  return new ApiProblem(problem.status, problem.code, problem.message, { ...problem.headers, 'WWW-Authenticate': challenge });
}

/** 403 `insufficient_scope` naming the scope the endpoint needs (RFC 6750 §3.1); `detail` may say more. */
export function insufficientScope(scheme: TokenScheme, scope: string, detail = `this endpoint needs the scope ${scope}`): ApiProblem {
  return new ApiProblem(403, 'insufficient_scope', detail, {
    'WWW-Authenticate': `${scheme} error="insufficient_scope", scope=${quoted(scope)}`,
  });
}
