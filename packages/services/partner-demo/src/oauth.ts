/**
 * The partner's side of OAuth 2.0 / OpenID Connect, on `openid-client` v6 only: discovery, the
 * authorization code flow with PKCE (S256), state and nonce, the code exchange, refresh with
 * rotation, revocation (RFC 7009), a payment consent asked for with `authorization_details`
 * (RFC 9396) through a pushed authorization request (RFC 9126), and the DPoP handles the bank's
 * SDK signs its API calls with (bank-api.ts). Nothing here knows the bank's internals.
 *
 * Under the bank's FAPI 2.0 profile (`SECURITY_PROFILE=fapi2`) the same steps run the FAPI way:
 * every authorization request is pushed (PAR), the client authenticates with `private_key_jwt`
 * (RFC 7523, its key from config.ts), and every token is DPoP-bound (RFC 9449): each connection gets
 * a key pair of its own, made when it starts, kept in the server-side session, used for the code
 * exchange, refreshes and every API call; the app's own client-credentials token has one per process.
 */
import type { JsonWebKey } from 'node:crypto';
import type { DPoPBinding } from '@payapi/sdk';
import * as client from 'openid-client';
import type { PartnerClientKey, PartnerDemoConfig } from './config.ts';
import { isLocalhost } from './config.ts';
import type { SessionTokens } from './sessions.ts';

/** What the partner asks for. `offline_access` with `prompt=consent` gets a refresh token (OIDC Core §11). */
export const REQUESTED_SCOPE = 'openid offline_access accounts:read transactions:read transfers:write';
/** What a payment authorization asks for, beside its `authorization_details`. */
export const PAYMENT_SCOPE = 'payments:write';

/** Refresh this long before the access token expires, so a call never starts with a token about to die. */
const EXPIRY_MARGIN_MS = 15_000;
/** Abort a request to the bank (discovery, token endpoint, API) after this long. */
const REQUEST_TIMEOUT_SECONDS = 10;

/** The checks of an authorization request in progress, kept in the server-side session until the callback. */
export interface PendingAuthorization {
  /** `connect`: the bank connection (accounts, history, transfers); `pay`: one payment consent. */
  purpose: 'connect' | 'pay';
  codeVerifier: string;
  state: string;
  /** The ID token's nonce (connect only: a payment authorization asks for no ID token). */
  nonce: string | undefined;
  /** The DPoP key pair the tokens will be bound to (fapi2). */
  dpopKeyPair: client.CryptoKeyPair | undefined;
}

/** One payment the user is asked to authorise: RFC 9396 `payment_initiation` (docs/partner-integration.md, "Pay"). */
export interface PaymentRequest {
  /** Decimal string in major units (`"12.34"`). */
  amount: string;
  /** ISO 4217 code. */
  currency: string;
  /** The payee's account at the bank. */
  creditorAccountId: string;
}

/** How to call the bank's API: an access token and, when it is DPoP-bound, the key pair it is bound to. */
export interface BankCredential {
  accessToken: string;
  dpopKeyPair?: client.CryptoKeyPair | undefined;
}

export interface OAuthClient {
  /** Starts a connection ("Connect your bank"): the URL to send the browser to, and the checks to keep in the session. */
  startAuthorization(): Promise<{ url: URL; pending: PendingAuthorization }>;
  /**
   * Starts the authorization of one payment: pushes `authorization_details` (one
   * `payment_initiation`) with scope `payments:write` (RFC 9126), then the browser goes to the bank.
   * @throws {client.ResponseBodyError} when the bank refuses the request (`invalid_authorization_details`…)
   */
  startPaymentAuthorization(payment: PaymentRequest): Promise<{ url: URL; pending: PendingAuthorization }>;
  /**
   * Finishes either on the redirect URI: checks `iss`, `state`, exchanges the code with the PKCE
   * verifier (and DPoP proof), validates the ID token and its `nonce` for a connection.
   * @throws {client.AuthorizationResponseError} when the bank answered with an error (`access_denied` on Deny)
   */
  finishAuthorization(callbackUrl: URL, pending: PendingAuthorization): Promise<SessionTokens>;
  /** A fresh token set from the refresh token (the old refresh token is spent: rotation). */
  refresh(tokens: SessionTokens): Promise<SessionTokens>;
  /** Revokes the grant: RFC 7009 on the refresh token (the bank revokes the whole grant), else on the access token. */
  revoke(tokens: SessionTokens): Promise<void>;
  /** True when the access token expires within the safety margin. */
  isExpiring(tokens: SessionTokens): boolean;
  /** An access token of the app itself (client credentials, RFC 6749 §4.4) for the bank's API with `scope`. */
  clientCredentialsToken(scope: string): Promise<BankCredential>;
  /**
   * How the SDK presents a DPoP-bound credential (RFC 9449): this configuration and openid-client's
   * DPoP handle for its key pair (one handle per key pair: it keeps the bank's DPoP nonces); undefined
   * for a Bearer token.
   */
  dpopBinding(credential: BankCredential): Promise<DPoPBinding | undefined>;
}

/**
 * An {@link OAuthClient} for `config`; discovery runs on first use and is retried after a failure.
 *
 * @throws from its methods: openid-client's errors as the bank answered
 */
export function createOAuthClient(config: PartnerDemoConfig): OAuthClient {
  const fapi2 = config.securityProfile === 'fapi2';
  let discovered: Promise<client.Configuration> | undefined;
  const redirectUri = `${config.publicUrl}/callback`;
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= clientAuthentication(config).then((authentication) => client.discovery(
      new URL(config.issuer), config.clientId, undefined, authentication,
      // Plain http only for a bank on localhost (demo mode); production URLs are https (config.ts).
      // Every request to the bank (its API included) is aborted after REQUEST_TIMEOUT_SECONDS.
      { timeout: REQUEST_TIMEOUT_SECONDS, ...(isLocalhost(new URL(config.issuer)) ? { execute: [client.allowInsecureRequests] } : {}) },
    )).catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };
  const resource = { resource: config.resourceApiUrl };
  // One DPoP handle per key pair (it keeps the server's DPoP nonces, RFC 9449 §8).
  const handles = new WeakMap<client.CryptoKeyPair, client.DPoPHandle>();
  const dpopOptions = async (keyPair: client.CryptoKeyPair | undefined): Promise<client.DPoPOptions | undefined> => {
    if (!keyPair) return undefined;
    let handle = handles.get(keyPair);
    if (!handle) {
      handle = client.getDPoPHandle(await configuration(), keyPair);
      handles.set(keyPair, handle);
    }
    return { DPoP: handle };
  };
  const newDpopKeyPair = async (): Promise<client.CryptoKeyPair | undefined> => (fapi2 ? client.randomDPoPKeyPair('ES256') : undefined);
  let ownDpopKeyPair: Promise<client.CryptoKeyPair | undefined> | undefined;
  const toSession = (
    response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, dpopKeyPair: client.CryptoKeyPair | undefined, previous?: SessionTokens,
  ): SessionTokens => ({
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    expiresAtMs: Date.now() + (response.expires_in ?? 60) * 1000,
    scope: response.scope ?? previous?.scope,
    // From the validated ID token: which bank user this is (to show them their notifications only).
    sub: response.claims()?.sub ?? previous?.sub,
    dpopKeyPair,
    authorizationDetails: response.authorization_details?.map((detail) => ({ ...detail })),
  });
  /** PKCE, state, the DPoP key pair; the URL to send the browser to, pushed first under fapi2 (always for a payment). */
  const start = async (purpose: PendingAuthorization['purpose'], parameters: Record<string, string>, push: boolean) => {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = purpose === 'connect' ? client.randomNonce() : undefined;
    const dpopKeyPair = await newDpopKeyPair();
    const all = {
      redirect_uri: redirectUri,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      ...(nonce ? { nonce } : {}),
      ...parameters,
      ...resource,
    };
    const config = await configuration();
    const url = push ? await client.buildAuthorizationUrlWithPAR(config, all, await dpopOptions(dpopKeyPair)) : client.buildAuthorizationUrl(config, all);
    return { url, pending: { purpose, codeVerifier, state, nonce, dpopKeyPair } };
  };

  return {
    async startAuthorization() {
      return start('connect', { scope: REQUESTED_SCOPE, prompt: 'consent' }, fapi2);
    },
    async startPaymentAuthorization(payment) {
      const detail = {
        type: 'payment_initiation',
        instructed_amount: { amount: payment.amount, currency: payment.currency },
        creditor_account: { account_id: payment.creditorAccountId },
      };
      return start('pay', { scope: PAYMENT_SCOPE, authorization_details: JSON.stringify([detail]) }, true);
    },
    async finishAuthorization(callbackUrl, pending) {
      const response = await client.authorizationCodeGrant(await configuration(), callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        ...(pending.nonce ? { expectedNonce: pending.nonce } : {}),
        idTokenExpected: pending.purpose === 'connect',
      }, resource, await dpopOptions(pending.dpopKeyPair));
      return toSession(response, pending.dpopKeyPair);
    },
    async refresh(tokens) {
      if (!tokens.refreshToken) throw new Error('no refresh token: connect again');
      const response = await client.refreshTokenGrant(await configuration(), tokens.refreshToken, resource, await dpopOptions(tokens.dpopKeyPair));
      return toSession(response, tokens.dpopKeyPair, tokens);
    },
    async revoke(tokens) {
      const config = await configuration();
      if (tokens.refreshToken) await client.tokenRevocation(config, tokens.refreshToken, { token_type_hint: 'refresh_token' });
      else await client.tokenRevocation(config, tokens.accessToken, { token_type_hint: 'access_token' });
    },
    isExpiring(tokens) {
      return tokens.expiresAtMs - Date.now() < EXPIRY_MARGIN_MS;
    },
    async clientCredentialsToken(scope) {
      ownDpopKeyPair ??= newDpopKeyPair();
      const dpopKeyPair = await ownDpopKeyPair;
      const response = await client.clientCredentialsGrant(await configuration(), { scope, ...resource }, await dpopOptions(dpopKeyPair));
      return { accessToken: response.access_token, dpopKeyPair };
    },
    async dpopBinding(credential) {
      const options = await dpopOptions(credential.dpopKeyPair);
      return options?.DPoP ? { configuration: await configuration(), handle: options.DPoP } : undefined;
    },
  };
}

/**
 * How the app authenticates at the bank's token, PAR and revocation endpoints: `private_key_jwt`
 * with its key under fapi2 (the assertion's `aud` is the issuer, as FAPI 2.0 requires), else the
 * client secret in the Authorization header (RFC 6749 §2.3.1).
 */
async function clientAuthentication(config: PartnerDemoConfig): Promise<client.ClientAuth> {
  if (config.securityProfile !== 'fapi2' || !config.clientKey) return client.ClientSecretBasic(config.clientSecret);
  return client.PrivateKeyJwt({ key: await importSigningKey(config.clientKey), kid: config.clientKey.publicJwk.kid });
}

/** The private JWK as a WebCrypto signing key for its algorithm (RFC 7518 §3.4, §3.5; RFC 8037). */
async function importSigningKey(key: PartnerClientKey): Promise<client.CryptoKey> {
  const algorithm = key.alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' }
    : key.alg === 'PS256' ? { name: 'RSA-PSS', hash: 'SHA-256' }
      : { name: 'Ed25519' };
  const { kid: _kid, use: _use, alg: _alg, key_ops: _ops, ...material } = key.privateJwk as JsonWebKey & { kid?: string; use?: string; alg?: string; key_ops?: string[] };
  return crypto.subtle.importKey('jwk', material, algorithm, false, ['sign']);
}
