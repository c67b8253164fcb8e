import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { ApiProblem } from '../errors/problem.ts';

/** A validated RFC 9068 access token, as the route steps use it. */
export interface AccessToken {
  /** The compact JWT itself (for the DPoP `ath` check only; never logged). */
  raw: string;
  /** The user (`sub`). */
  subject: string;
  /** The partner app (`client_id`); also the scope of idempotency keys. */
  clientId: string;
  jti: string;
  scopes: ReadonlySet<string>;
  /** Ledger account ids the user consented to (`account_ids`); empty for client-credentials tokens. */
  accountIds: ReadonlySet<string>;
  /**
   * True for a client-credentials token (RFC 6749 §4.4): no user behind it. The authorization server
   * issues it with `sub` = `client_id` and without `account_ids`; a user's token always has
   * `account_ids` (an empty list at least) and a `sub` of the form `usr_…`. Both must hold.
   */
  clientCredentials: boolean;
  /**
   * The payment consents of the token's `authorization_details` claim (RFC 9396 §9.1), one per
   * element of type `payment_initiation` or `payment_mandate`; empty when the claim is absent.
   */
  paymentConsents: readonly TokenPaymentConsent[];
  /** `cnf.jkt` (RFC 9449 §6.1) when the token is DPoP-bound, else null. */
  jkt: string | null;
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}

/**
 * One payment element of a token's `authorization_details`, as the authorization server wrote it
 * when the user pressed Allow (contract, "Payment consents"): what the user saw, bound to the
 * consent (dynamic linking).
 */
export interface TokenPaymentConsent {
  /** `consent_id`, `pc_…` */
  consentId: string;
  type: 'payment_initiation' | 'payment_mandate';
  /** `debtor_account.account_id` */
  debtorAccountId: string;
  /** `creditor_account.account_id` */
  creditorAccountId: string;
  /** `instructed_amount.currency` (single payment) or `currency` (mandate) */
  currency: string;
  /** `instructed_amount.amount` of a single payment (decimal string); null for a mandate */
  instructedAmount: string | null;
}

/** Options of {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifierOptions {
  /** Exact expected `iss`; the JWKS is `${issuer}/jwks`. */
  issuer: string;
  /** Exact expected `aud` (the resource indicator). */
  audience: string;
  /** Allowed skew on `exp`, `nbf`, `iat`, seconds (at most 30). */
  clockToleranceSeconds: number;
  jwks: { timeoutMs: number; cooldownMs: number; cacheMaxAgeMs: number };
  /**
   * How many verified tokens to remember (0: none), each for at most a minute and never past its
   * expiry, so a partner reusing its token for many calls pays the signature check rarely. Only a token that
   * passed every check is kept, under its exact compact form. Default {@link VERIFIED_TOKENS_CACHED}.
   */
  verifiedTokensCached?: number;
}

/**
 * Default of `verifiedTokensCached`: 10,000 tokens, about 15 MB at most (a token with 3 account
 * ids is about 900 bytes, kept once as the key and once in the result). An entry lives at most
 * {@link VERIFIED_TOKEN_KEPT_MS}, and never past the token's expiry; grant revocation is
 * unaffected (checked in the database on every transfer).
 */
export const VERIFIED_TOKENS_CACHED = 10_000;

/**
 * Longest a verified token is answered from memory, ms: 60 s. Bounds how long a token stays
 * accepted after its signing key left the JWKS beyond what the uncached check allows (which keeps
 * fetched keys for `jwks.cacheMaxAgeMs`).
 */
export const VERIFIED_TOKEN_KEPT_MS = 60_000;

/**
 * Longest lifetime accepted, seconds since `iat` (plus the clock tolerance): the documented 300 s (docs/authorization-server.md).
 * A token claiming a longer `exp` is refused once it is older than this, whoever signed it.
 */
export const ACCESS_TOKEN_AGE_MAX_SECONDS = 300;

/** Why a token was refused, for the 401's description. Says what failed, never the token. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** Signature algorithms of access tokens (docs/authorization-server.md: ES256, PS256 allowed). Pinned: `none` and HMAC never pass. */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'PS256'];

const SPACE_DELIMITED = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;
const MAX_ACCOUNT_IDS = 100;
const MAX_AUTHORIZATION_DETAILS = 10;
/** The RFC 9396 `authorization_details` types a token may carry (docs/resource-api.md, "Payments"). */
export const PAYMENT_DETAIL_TYPES = ['payment_initiation', 'payment_mandate'] as const;
const PAYMENT_TYPES: ReadonlySet<string> = new Set(PAYMENT_DETAIL_TYPES);

/**
 * Builds the access-token check of RFC 9068 §4 on the authorization server's JWKS (jose
 * `createRemoteJWKSet`, every limit explicit: a new `kid` after a key rotation is found by one
 * refetch; unknown `kid`s refetch at most once per cooldown).
 *
 * Checks: signature with a published key and a pinned algorithm (ES256, PS256), header `typ`
 * `at+jwt` (so an ID token is refused), exact `iss` and `aud`, `exp`/`nbf` within the tolerance,
 * and the claims `sub`, `client_id`, `jti`, `scope` (plus `account_ids` when present: an array of strings).
 *
 * @returns `verify(token)`, resolving to the {@link AccessToken}
 * @throws from `verify`: {@link InvalidTokenError} for any refused token; {@link ApiProblem} 503
 *   `authorization_server_unavailable` when the JWKS cannot be fetched
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): (token: string) => Promise<AccessToken> {
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/jwks`), {
    timeoutDuration: options.jwks.timeoutMs,
    cooldownDuration: options.jwks.cooldownMs,
    cacheMaxAge: options.jwks.cacheMaxAgeMs,
  });
  const verified = (options.verifiedTokensCached ?? VERIFIED_TOKENS_CACHED) > 0
    ? new LRUCache<string, AccessToken>({ max: options.verifiedTokensCached ?? VERIFIED_TOKENS_CACHED, ttlAutopurge: false })
    : undefined;
  return async (token) => {
    const known = verified?.get(token);
    if (known) return known;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ACCESS_TOKEN_ALGORITHMS,
        typ: 'at+jwt',
        clockTolerance: options.clockToleranceSeconds,
        maxTokenAge: ACCESS_TOKEN_AGE_MAX_SECONDS,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'client_id', 'jti', 'scope'],
      }));
    } catch (error) {
      throw joseFailure(error);
    }
    const accessToken = toAccessToken(token, payload);
    // Never past the moment jose itself would refuse it (exp, or iat + the age limit, plus the
    // tolerance), nor longer than VERIFIED_TOKEN_KEPT_MS; lru-cache checks the age on every get.
    const refusedAtSeconds = Math.min(accessToken.expiresAt, (payload.iat as number) + ACCESS_TOKEN_AGE_MAX_SECONDS) + options.clockToleranceSeconds;
    const keepMs = Math.min(refusedAtSeconds * 1000 - Date.now(), VERIFIED_TOKEN_KEPT_MS);
    if (verified && keepMs > 0) verified.set(token, accessToken, { ttl: keepMs });
    return accessToken;
  };
}

function joseFailure(error: unknown): Error {
  // A timeout, a network failure, a non-200 or unparsable JWKS: the authorization server's fault, not the token's.
  const jwksUnavailable = error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid
    || !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC';
  if (jwksUnavailable) {
    return new ApiProblem(503, 'authorization_server_unavailable', 'the keys to check access tokens cannot be fetched; try again later', { 'Retry-After': '5' });
  }
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('the access token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new InvalidTokenError(`the access token's "${error.claim}" claim is not acceptable`);
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('the access token is signed with an unknown key');
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('the access token is signed with an algorithm that is not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('the access token signature is invalid');
  return new InvalidTokenError('the access token is malformed or not an access token');
}

function toAccessToken(raw: string, payload: JWTPayload): AccessToken {
  const text = (name: string): string => {
    const value = payload[name];
    if (typeof value !== 'string' || value.length < 1 || value.length > 255) throw new InvalidTokenError(`the access token's "${name}" claim is missing or malformed`);
    return value;
  };
  const scope = text('scope');
  if (!SPACE_DELIMITED.test(scope)) throw new InvalidTokenError('the access token\'s "scope" claim is malformed');
  const accountIds = payload.account_ids ?? [];
  if (!Array.isArray(accountIds) || accountIds.length > MAX_ACCOUNT_IDS || !accountIds.every((id) => typeof id === 'string')) {
    throw new InvalidTokenError('the access token\'s "account_ids" claim is malformed');
  }
  const cnf = payload.cnf;
  let jkt: string | null = null;
  if (cnf !== undefined) {
    const value = typeof cnf === 'object' && cnf !== null ? (cnf as { jkt?: unknown }).jkt : undefined;
    if (typeof value !== 'string' || value.length === 0) throw new InvalidTokenError('the access token\'s "cnf" claim is not a DPoP key binding');
    jkt = value;
  }
  const subject = text('sub');
  const clientId = text('client_id');
  return {
    raw,
    subject,
    clientId,
    jti: text('jti'),
    scopes: new Set(scope.split(' ')),
    accountIds: new Set(accountIds as string[]),
    paymentConsents: paymentConsentsOf(payload.authorization_details),
    clientCredentials: payload.account_ids === undefined && subject === clientId,
    jkt,
    expiresAt: payload.exp as number,
  };
}

/**
 * The payment elements of `authorization_details`. Elements of other types are left alone; a payment
 * element without its consent, accounts or currency makes the token unusable (our authorization
 * server never issues one).
 *
 * @throws {InvalidTokenError} when the claim is not an array of objects, or a payment element is incomplete
 */
function paymentConsentsOf(claim: unknown): TokenPaymentConsent[] {
  if (claim === undefined) return [];
  if (!Array.isArray(claim) || claim.length > MAX_AUTHORIZATION_DETAILS || !claim.every(isObject)) {
    throw new InvalidTokenError('the access token\'s "authorization_details" claim is malformed');
  }
  return claim.filter((element) => PAYMENT_TYPES.has(element.type as string)).map((element) => {
    const instructed = isObject(element.instructed_amount) ? element.instructed_amount : undefined;
    const consent = {
      consentId: element.consent_id,
      type: element.type as TokenPaymentConsent['type'],
      debtorAccountId: isObject(element.debtor_account) ? element.debtor_account.account_id : undefined,
      creditorAccountId: isObject(element.creditor_account) ? element.creditor_account.account_id : undefined,
      currency: element.type === 'payment_initiation' ? instructed?.currency : element.currency,
      instructedAmount: element.type === 'payment_initiation' ? instructed?.amount : null,
    };
    const texts = [consent.consentId, consent.debtorAccountId, consent.creditorAccountId, consent.currency];
    if (!texts.every((text) => typeof text === 'string' && text.length > 0 && text.length <= 255)
      || (consent.type === 'payment_initiation' && typeof consent.instructedAmount !== 'string')) {
      throw new InvalidTokenError('the access token\'s "authorization_details" claim has an incomplete payment element');
    }
    return consent as TokenPaymentConsent;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
