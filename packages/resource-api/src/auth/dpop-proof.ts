import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, errors, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { ApiProblem } from '../errors/problem.ts';
import type { AccessToken } from './access-token.ts';
import { DPOP_ALGORITHMS, unauthorized } from './challenge.ts';

/** Options of {@link createDpopProofVerifier}. */
export interface DpopProofVerifierOptions {
  /** `RESOURCE_API_URL`: the origin clients address, so the base of every `htu`. */
  publicUrl: string;
  /** A proof's `iat` may be this many seconds old (or ahead); its `jti` is remembered this long. */
  windowSeconds: number;
  /** Most proof `jti`s remembered at once; past it (after dropping expired ones) proofs are refused with 503. */
  replayCacheMax?: number;
  /** Clock in milliseconds (tests freeze it). */
  now?: () => number;
}

/** What the proof is checked against: the request as received and the token it comes with. */
export interface DpopRequest {
  method: string;
  /** Path and query as received (`req.originalUrl`); the query is not part of `htu`. */
  originalUrl: string;
  /** Every `DPoP` header value received (exactly one is allowed). */
  proofs: string[];
}

const JTI_LENGTH_MAX = 256;

/**
 * Checks DPoP proofs (RFC 9449 §4.3, §7.1) for DPoP-bound access tokens: exactly one `DPoP`
 * header, a JWT with `typ` `dpop+jwt`, an asymmetric algorithm (ES256, PS256, EdDSA), signed by
 * the public key embedded in its `jwk` header; `htm` = the method, `htu` = the request URL
 * without query and fragment, `iat` within the window, `ath` = base64url(SHA-256(token)), the
 * key's RFC 7638 thumbprint = the token's `cnf.jkt`, and a `jti` not seen within the window.
 *
 * The replay cache lives in this process: with several instances it must move to a shared store
 * (ARCHITECTURE.md: Redis), or a proof could be replayed once per instance.
 *
 * @returns `verify(request, token)`
 * @throws from `verify`: {@link ApiProblem} 401 `invalid_dpop_proof` with a `DPoP` challenge;
 *   503 `temporarily_unavailable` when the replay cache is full
 */
export function createDpopProofVerifier(options: DpopProofVerifierOptions): (request: DpopRequest, token: AccessToken) => Promise<void> {
  const now = options.now ?? Date.now;
  const replayCacheMax = options.replayCacheMax ?? 100_000;
  const seen = new Map<string, number>();
  /** Remembers `key` until `rememberUntilMs`; false when it is already remembered. */
  const remember = (key: string, rememberUntilMs: number): boolean => {
    const nowMs = now();
    if (seen.size >= replayCacheMax) {
      for (const [entry, expiresAtMs] of seen) if (expiresAtMs <= nowMs) seen.delete(entry);
    }
    const expiresAtMs = seen.get(key);
    if (expiresAtMs !== undefined && expiresAtMs > nowMs) return false;
    if (seen.size >= replayCacheMax) {
      throw new ApiProblem(503, 'temporarily_unavailable', 'too many DPoP proofs at once; try again shortly', { 'Retry-After': '1' });
    }
    seen.set(key, rememberUntilMs);
    return true;
  };

  return async (request, token) => {
    const refuse = (detail: string): ApiProblem => unauthorized('DPoP', detail, 'invalid_dpop_proof');
    if (request.proofs.length !== 1) throw refuse('exactly one DPoP proof header is required');
    let payload: JWTPayload;
    let jwk: JWK;
    try {
      const verified = await jwtVerify(request.proofs[0] as string, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...DPOP_ALGORITHMS],
        requiredClaims: ['jti', 'iat', 'htm', 'htu'],
        currentDate: new Date(now()),
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk as JWK;
    } catch (error) {
      if (error instanceof errors.JOSEError) throw refuse('the DPoP proof is malformed or its signature is invalid');
      throw error;
    }
    const nowSeconds = Math.floor(now() / 1000);
    if (typeof payload.iat !== 'number' || Math.abs(nowSeconds - payload.iat) > options.windowSeconds) {
      throw refuse('the DPoP proof is too old or from the future');
    }
    if (payload.htm !== request.method) throw refuse('the DPoP proof is for another HTTP method');
    if (typeof payload.htu !== 'string' || normalizeUrl(payload.htu) !== expectedHtu(options.publicUrl, request.originalUrl)) {
      throw refuse('the DPoP proof is for another URL');
    }
    const ath = createHash('sha256').update(token.raw).digest('base64url');
    if (payload.ath !== ath) throw refuse('the DPoP proof is for another access token');
    if (await calculateJwkThumbprint(jwk) !== token.jkt) throw refuse('the DPoP proof key is not the key the access token is bound to');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > JTI_LENGTH_MAX) {
      throw refuse('the DPoP proof jti is malformed');
    }
    // Remembered for as long as the proof could pass the iat check: until iat + window, plus the
    // second that flooring the clock to whole seconds adds.
    const acceptableUntilMs = (payload.iat + options.windowSeconds + 1) * 1000;
    if (!remember(`${token.jkt}:${payload.jti}`, acceptableUntilMs)) throw refuse('the DPoP proof was already used');
  };
}

function expectedHtu(publicUrl: string, originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '/';
  return normalizeUrl(`${publicUrl}${path}`);
}

/** Scheme and host lower-cased, default port dropped, query and fragment removed (RFC 9449 §4.3 point 9). */
function normalizeUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '';
  }
}
