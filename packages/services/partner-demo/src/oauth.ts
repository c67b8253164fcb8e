/**
 * The partner's side of OAuth 2.0 / OpenID Connect, on `openid-client` v6 only: discovery, the
 * authorization code flow with PKCE (S256), state and nonce, the code exchange, refresh with
 * rotation, and revocation (RFC 7009). Nothing here knows the bank's internals.
 */
import * as client from 'openid-client';
import type { PartnerDemoConfig } from './config.ts';
import { isLocalhost } from './config.ts';
import type { SessionTokens } from './sessions.ts';

/** What the partner asks for. `offline_access` with `prompt=consent` gets a refresh token (OIDC Core §11). */
export const REQUESTED_SCOPE = 'openid offline_access accounts:read transactions:read transfers:write';

/** Refresh this long before the access token expires, so a call never starts with a token about to die. */
const EXPIRY_MARGIN_MS = 15_000;

export interface OAuthClient {
  /** Starts a connection: the URL to send the browser to, and the checks to keep in the session. */
  startAuthorization(): Promise<{ url: URL; pending: { codeVerifier: string; state: string; nonce: string } }>;
  /**
   * Finishes it on the redirect URI: checks `iss`, `state`, exchanges the code with the PKCE verifier,
   * validates the ID token and its `nonce`.
   * @throws {client.AuthorizationResponseError} when the bank answered with an error (`access_denied` on Deny)
   */
  finishAuthorization(callbackUrl: URL, pending: { codeVerifier: string; state: string; nonce: string }): Promise<SessionTokens>;
  /** A fresh token set from the refresh token (the old refresh token is spent: rotation). */
  refresh(tokens: SessionTokens): Promise<SessionTokens>;
  /** Revokes the grant: RFC 7009 on the refresh token (the bank revokes the whole grant), else on the access token. */
  revoke(tokens: SessionTokens): Promise<void>;
  /** True when the access token expires within the safety margin. */
  isExpiring(tokens: SessionTokens): boolean;
  /** An access token of the app itself (client credentials, RFC 6749 §4.4) for the bank's API with `scope`. */
  clientCredentialsToken(scope: string): Promise<string>;
}

/** An {@link OAuthClient} for `config`; discovery runs on first use and is retried after a failure. */
export function createOAuthClient(config: PartnerDemoConfig): OAuthClient {
  let discovered: Promise<client.Configuration> | undefined;
  const redirectUri = `${config.publicUrl}/callback`;
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client.discovery(
      new URL(config.issuer), config.clientId, undefined, client.ClientSecretBasic(config.clientSecret),
      // Plain http only for a bank on localhost (demo mode); production URLs are https (config.ts).
      isLocalhost(new URL(config.issuer)) ? { execute: [client.allowInsecureRequests] } : {},
    ).catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };
  const resource = { resource: config.resourceApiUrl };
  const toSession = (response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, previous?: SessionTokens): SessionTokens => ({
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    expiresAtMs: Date.now() + (response.expires_in ?? 60) * 1000,
    scope: response.scope ?? previous?.scope,
    // From the validated ID token: which bank user this is (to show them their notifications only).
    sub: response.claims()?.sub ?? previous?.sub,
  });

  return {
    async startAuthorization() {
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        scope: REQUESTED_SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        prompt: 'consent',
        ...resource,
      });
      return { url, pending: { codeVerifier, state, nonce } };
    },
    async finishAuthorization(callbackUrl, pending) {
      const response = await client.authorizationCodeGrant(await configuration(), callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      }, resource);
      return toSession(response);
    },
    async refresh(tokens) {
      if (!tokens.refreshToken) throw new Error('no refresh token: connect again');
      return toSession(await client.refreshTokenGrant(await configuration(), tokens.refreshToken, resource), tokens);
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
      return (await client.clientCredentialsGrant(await configuration(), { scope, ...resource })).access_token;
    },
  };
}
