import { ApiProblem } from '../errors/problem.ts';

/** How the token was presented: `Authorization: Bearer` (RFC 6750) or `Authorization: DPoP` (RFC 9449 §7.1). */
export type TokenScheme = 'Bearer' | 'DPoP';

/** DPoP proof algorithms we accept, advertised in the `DPoP` challenge (RFC 9449 §7.1). */
export const DPOP_ALGORITHMS = ['ES256', 'PS256', 'EdDSA'] as const;

/**
 * Quotes a value for an auth-param of a Bearer or DPoP challenge. RFC 6750 §3 allows only
 * %x20-21 / %x23-5B / %x5D-7E inside `error_description` and `scope`, so not even an escaped double quote
 * or backslash: a double quote becomes a single quote and a backslash a slash, so that every word of the
 * description survives (`the access token's 'scope' claim`); anything else outside printable ASCII
 * (control characters, non-ASCII) becomes `?`.
 */
export function quoted(value: string): string {
  return `"${value.replaceAll('"', "'").replaceAll('\\', '/').replace(/[^\x20-\x7e]/g, '?')}"`;
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

/**
 * The same problem with `resource_metadata` (RFC 9728 §5.1) added to each of its `WWW-Authenticate`
 * challenges, so a client that is refused learns where the resource's metadata (and through it the
 * authorization server) is. A problem without a challenge is returned as it is.
 *
 * @param metadataUrl the URL of this API's protected resource metadata (`protectedResourceMetadataUrl`)
 */
export function withResourceMetadata(problem: ApiProblem, metadataUrl: string): ApiProblem {
  const header = problem.headers['WWW-Authenticate'];
  if (header === undefined) return problem;
  const parameter = `resource_metadata=${quoted(metadataUrl)}`;
  const challenges = [header].flat().map((challenge) => (/^[A-Za-z]+$/.test(challenge) ? `${challenge} ${parameter}` : `${challenge}, ${parameter}`));
  return new ApiProblem(problem.status, problem.code, problem.message, { ...problem.headers, 'WWW-Authenticate': challenges.length === 1 ? challenges[0] as string : challenges });
}

/** 403 `insufficient_scope` naming the scope the endpoint needs (RFC 6750 §3.1); `detail` may say more. */
export function insufficientScope(scheme: TokenScheme, scope: string, detail = `this endpoint needs the scope ${scope}`): ApiProblem {
  return new ApiProblem(403, 'insufficient_scope', detail, {
    'WWW-Authenticate': `${scheme} error="insufficient_scope", scope=${quoted(scope)}`,
  });
}
