import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, errors, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { ApiProblem } from '../errors/problem.ts';
import type { AccessToken } from './access-token.ts';
import { DPOP_ALGORITHMS, unauthorized } from './challenge.ts';
import type { DpopProofUse, DpopReplayStore } from './dpop-replay-store.ts';

/** Options of {@link createDpopProofVerifier}. */
export interface DpopProofVerifierOptions {
  /** `RESOURCE_API_URL`: the origin clients address, so the base of every `htu`. */
  publicUrl: string;
  /** A proof's `iat` may be this many seconds in the past; its `jti` is remembered as long. */
  ageMaxSeconds: number;
  /** A proof's `iat` may be this many seconds in the future (the client's clock may run ahead a little). */
  futureSkewSeconds: number;
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
 * without query and fragment, `iat` at most `ageMaxSeconds` old and `futureSkewSeconds` ahead,
 * `ath` = base64url(SHA-256(token)), the key's RFC 7638 thumbprint = the token's `cnf.jkt`.
 *
 * It does not remember the proof: the answer is the use to claim in a {@link DpopReplayStore}
 * (`claimDpopProof`) once the request has passed its other checks, so a request refused before
 * it would be served takes no room there.
 *
 * @returns `verify(request, token)`, resolving to the proof's use
 * @throws from `verify`: {@link ApiProblem} 401 `invalid_dpop_proof` with a `DPoP` challenge
 */
export function createDpopProofVerifier(options: DpopProofVerifierOptions): (request: DpopRequest, token: AccessToken) => Promise<DpopProofUse> {
  const now = options.now ?? Date.now;
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
    if (typeof payload.iat !== 'number' || !Number.isInteger(payload.iat) || nowSeconds - payload.iat > options.ageMaxSeconds) {
      throw refuse('the DPoP proof is too old');
    }
    if (payload.iat - nowSeconds > options.futureSkewSeconds) {
      throw refuse(`the DPoP proof is from the future: its iat may be at most ${options.futureSkewSeconds} s ahead`);
    }
    if (payload.htm !== request.method) throw refuse('the DPoP proof is for another HTTP method');
    if (typeof payload.htu !== 'string' || normalizeUrl(payload.htu) !== expectedHtu(options.publicUrl, request.originalUrl)) {
      throw refuse('the DPoP proof is for another URL');
    }
    const ath = createHash('sha256').update(token.raw).digest('base64url');
    if (payload.ath !== ath) throw refuse('the DPoP proof is for another access token');
    const thumbprint = await calculateJwkThumbprint(jwk);
    if (thumbprint !== token.jkt) throw refuse('the DPoP proof key is not the key the access token is bound to');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > JTI_LENGTH_MAX) {
      throw refuse('the DPoP proof jti is malformed');
    }
    // Remembered for as long as the proof could pass the iat check: until iat + age, plus the
    // second that flooring the clock to whole seconds adds.
    return {
      jkt: thumbprint, jti: payload.jti, clientId: token.clientId, subject: token.subject,
      rememberUntilMs: (payload.iat + options.ageMaxSeconds + 1) * 1000,
    };
  };
}

/**
 * How long a key, user or client whose share is full is asked to wait, seconds: a share frees as
 * its proofs age out, each at most this long after it was claimed (proof age 60 s, plus a second).
 */
const QUOTA_RETRY_AFTER_SECONDS = 61;

/** How long a client is asked to wait while the shared replay store cannot be asked (the Redis client retries every 2 s at most). */
const STORE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Remembers a verified proof's use (RFC 9449 §11.1), refusing a replay.
 *
 * @throws {ApiProblem} 401 `invalid_dpop_proof` when the proof was already used, or has grown too
 *   old since its request began; 429 `rate_limited` with `Retry-After` when the proof's key, user
 *   or client holds its share of remembered proofs; 503
 *   `temporarily_unavailable` when the store is full, or cannot be asked (Redis down: the proof is
 *   refused rather than served unrecorded)
 */
export async function claimDpopProof(store: DpopReplayStore, use: DpopProofUse): Promise<void> {
  switch (await store.claim(use)) {
    case 'claimed':
      return;
    case 'replayed':
      throw unauthorized('DPoP', 'the DPoP proof was already used', 'invalid_dpop_proof');
    case 'expired':
      throw unauthorized('DPoP', 'the DPoP proof is too old', 'invalid_dpop_proof');
    case 'key_quota':
    case 'subject_quota':
    case 'client_quota':
      throw new ApiProblem(429, 'rate_limited', 'too many DPoP proofs with this key, for this user or from this client in the last minute; try again later',
        { 'Retry-After': String(QUOTA_RETRY_AFTER_SECONDS) });
    case 'full':
      throw new ApiProblem(503, 'temporarily_unavailable', 'too many DPoP proofs at once; try again shortly', { 'Retry-After': '1' });
    case 'unavailable':
      throw new ApiProblem(503, 'temporarily_unavailable', 'DPoP proofs cannot be checked for replay right now; try again shortly with a new proof',
        { 'Retry-After': String(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS) });
  }
  // An answer no case knows (a store of another version, a script changed without this switch):
  // the use was not recorded as a first one, so the proof is refused, never served.
  throw new ApiProblem(503, 'temporarily_unavailable', 'DPoP proofs cannot be checked for replay right now; try again shortly with a new proof',
    { 'Retry-After': String(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS) });
}

/** `publicUrl` with the request's path (from an origin-form or absolute-form target), normalised like `htu`. */
function expectedHtu(publicUrl: string, originalUrl: string): string {
  try {
    return normalizeUrl(`${publicUrl}${new URL(originalUrl, publicUrl).pathname}`);
  } catch {
    return '';
  }
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
