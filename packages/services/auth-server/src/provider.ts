import type { Knex } from 'knex';
import Provider, { errors } from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { AuthServerConfig } from './config.ts';
import { createKnexAdapter } from './adapter/index.ts';
import type { ClientCache } from './adapter/index.ts';
import { consentedAccountIds } from './consent/grant-accounts.ts';
import type { PrivateJwk } from './keys/signing-keys.ts';
import { CLIENT_CREDENTIALS_SCOPES, OIDC_SCOPES, RESOURCE_SCOPES, USER_GRANTABLE_SCOPES } from './scopes.ts';
import { checkClientCredentialsScope } from './tokens/client-credentials-scope.ts';
import { createAccessTokenRecorder } from './tokens/access-token-records.ts';
import { mayIntrospect } from './tokens/introspection-policy.ts';
import { isResourceServer } from './tokens/resource-servers.ts';
import { getUserBySub } from './users/index.ts';
import { THIRD_PARTY_POLICY, checkThirdPartyRedirectUris } from './clients/registration-policy.ts';
import { generateClientSecret } from './clients/client-secret-format.ts';
import { useHashedClientSecrets } from './clients/compare-client-secret.ts';
import { PENDING_REVIEW_MESSAGE, isPendingReview } from './clients/review-status.ts';
import { renderErrorPage } from './views/render.ts';
import { applySecurityProfile } from './security-profile.ts';
import { PAYMENT_DETAIL_TYPES } from './payments/authorization-details.ts';
import { paymentRichAuthorizationRequests } from './payments/rich-authorization-requests.ts';

/** Lifetimes, seconds. Access tokens 300 s (docs/authorization-server.md); consent (the grant) 90 days, as PSD2 reconfirmation. */
export const TTL_SECONDS = {
  AccessToken: 300,
  ClientCredentials: 300,
  AuthorizationCode: 60,
  IdToken: 3600,
  Interaction: 600,
  Session: 24 * 3600,
  Grant: 90 * 24 * 3600,
  RefreshToken: 90 * 24 * 3600,
} as const;

/**
 * Options of oidc-provider's cookies (session, interaction, resume): signed with the configured
 * keys (Keygrip), not readable by scripts, not sent on cross-site subrequests. Path `/` (Koa's
 * default), which clearing a cookie must repeat.
 */
export const PROVIDER_COOKIE_OPTIONS = Object.freeze({ signed: true, httpOnly: true, sameSite: 'lax' } as const);

/** True while oidc-provider answers a token request of the client credentials grant (RFC 6749 §4.4). */
function isClientCredentialsGrant(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials';
}

/** Input of {@link baseConfiguration}. */
export interface BaseConfigurationOptions {
  /** The resource indicator (RFC 8707) and `aud` of access tokens: the resource API's URL. */
  resource: string;
  /** Access token lifetime, seconds. */
  accessTokenTtlSeconds: number;
  /** Signing keys (private JWKs). */
  keys: PrivateJwk[];
  /** Cookie signing keys (Keygrip). */
  cookieKeys: string[];
  /**
   * Whether a client is registered to introspect every token (RFC 7662 §4), not only its own.
   * Asked only for clients that authenticated (see `mayIntrospect`).
   */
  isResourceServer(clientId: string): Promise<boolean>;
}

/**
 * The provider settings that need no database: authorization code + PKCE S256 for every client,
 * exact redirect URIs, RFC 9068 JWT access tokens (ES256) for the one resource with its scopes,
 * refresh-token rotation on every use, client credentials (only for `webhooks:manage`, its only
 * scope, asked for explicitly: `checkClientCredentialsScope`), introspection and revocation restricted
 * to the token's own client (or, for introspection, a resource server that authenticated),
 * registration behind an initial access token.
 * {@link createProvider} adds storage, accounts, token records and pages; the benchmark's bare
 * reference (`packages/bench`) runs exactly these settings on oidc-provider's memory adapter.
 */
export function baseConfiguration(options: BaseConfigurationOptions): Configuration {
  const { resource } = options;
  return {
    jwks: { keys: options.keys },
    cookies: {
      keys: options.cookieKeys,
      long: { ...PROVIDER_COOKIE_OPTIONS },
      short: { ...PROVIDER_COOKIE_OPTIONS },
    },
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    scopes: [...OIDC_SCOPES, ...RESOURCE_SCOPES],
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    // Client secrets are stored as hashes only (clients/compare-client-secret.ts), so nothing may
    // use a secret as a key: no client_secret_jwt (RFC 7523 HMAC assertions), and no HS* algorithm
    // below. A secret is presented in the Authorization header or the body (RFC 6749 §2.3.1).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256', 'PS256'],
      userinfoSigningAlgValues: ['ES256'],
      introspectionSigningAlgValues: ['ES256'],
      authorizationSigningAlgValues: ['ES256'],
      dPoPSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
    },
    ttl: { ...TTL_SECONDS },
    rotateRefreshToken: () => true,
    revokeGrantPolicy: () => true,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => mayIntrospect(client, token.clientId, options.isResourceServer),
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      registration: { enabled: true, initialAccessToken: true },
      // RFC 9126 (oidc-provider's default, stated): the way to send authorization_details unseen by the browser.
      pushedAuthorizationRequests: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource indicator; use ${resource}`);
          const clientCredentials = isClientCredentialsGrant(ctx);
          // Asked once per client credentials request, before oidc-provider reads its scope (which
          // would drop unknown scopes silently and issue a token without one).
          if (clientCredentials) checkClientCredentialsScope(ctx.oidc.params?.scope as string | undefined, ctx.oidc.client?.scope);
          return {
            // The scopes about the client itself (webhooks:manage) for the client credentials grant,
            // and only for it: oidc-provider drops them from what a user's grant can hold.
            scope: (clientCredentials ? CLIENT_CREDENTIALS_SCOPES : USER_GRANTABLE_SCOPES).join(' '),
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtlSeconds,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
}

/**
 * Builds the oidc-provider instance: {@link baseConfiguration} on the database (knex adapter with
 * the client cache), users as accounts, each access token recorded with the consented account ids
 * as a claim, the third-party registration policy, client secrets checked against their hashes
 * (`useHashedClientSecrets`), our error page (which says so when an app waits for review). Settings
 * follow RFC 9700 and the team's checked oidc-provider 9 notes.
 */
export function createProvider(config: AuthServerConfig, db: Knex, keys: PrivateJwk[], clientCache?: ClientCache): Provider {
  const base = baseConfiguration({
    resource: config.resourceApiUrl,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    keys,
    cookieKeys: config.cookieKeys,
    isResourceServer: (clientId) => isResourceServer(db, clientId, clientCache),
  });
  const recordAccessToken = createAccessTokenRecorder(db);
  const configuration: Configuration = {
    ...base,
    adapter: createKnexAdapter(db, { clientCache }),
    // Every client may name the payment types (RFC 9396 §10); whether it may ask for payments at
    // all is its scope payments:write (payments/rich-authorization-requests.ts).
    clientDefaults: { ...base.clientDefaults, authorization_details_types: [...PAYMENT_DETAIL_TYPES] },
    findAccount: async (_ctx, sub) => {
      const user = await getUserBySub(db, sub);
      if (!user) return undefined;
      return { accountId: user.sub, claims: async () => ({ sub: user.sub, preferred_username: user.username }) };
    },
    features: {
      ...base.features,
      registration: {
        ...base.features?.registration,
        // Named in every initial access token we issue (clients/initial-access-token.ts), and kept
        // on the registration access token, so it also applies to later updates of the client.
        policies: { [THIRD_PARTY_POLICY]: checkThirdPartyRedirectUris },
        // The same secret format as every other client's; the adapter stores only its hash.
        secretFactory: () => generateClientSecret(config.environment),
      },
      // RFC 9396 payment consents (payments/rich-authorization-requests.ts).
      richAuthorizationRequests: paymentRichAuthorizationRequests(db),
    },
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
      const grantId = 'grantId' in token && typeof token.grantId === 'string' ? token.grantId : null;
      const accountId = 'accountId' in token && typeof token.accountId === 'string' ? token.accountId : null;
      // Recorded before the client receives the token, so introspection and the resource API's
      // grant check can never see a token that has no record yet (concurrent tokens share one
      // INSERT and one commit: createAccessTokenRecorder).
      await recordAccessToken({
        jti: token.jti,
        clientId: token.clientId as string,
        accountId,
        grantId,
        scope: token.scope ?? '',
        expiresAt: Math.floor(Date.now() / 1000) + (token.expiration ?? config.accessTokenTtlSeconds),
      });
      return grantId ? { account_ids: await consentedAccountIds(db, grantId) } : undefined;
    },
    renderError: async (ctx: KoaContextWithOIDC, out, error) => {
      const pending = out.error === 'invalid_client' && await isPendingReview(db, ctx.oidc?.params?.client_id);
      renderErrorPage(ctx, {
        title: 'This request cannot be completed',
        message: pending ? PENDING_REVIEW_MESSAGE : out.error_description ?? out.error ?? 'Something went wrong.',
        code: out.error,
        status: error instanceof errors.OIDCProviderError ? error.statusCode : 500,
      });
    },
  };
  // SECURITY_PROFILE=fapi2 tightens the settings above (security-profile.ts); `default` keeps them.
  const provider = new Provider(config.issuer, applySecurityProfile(configuration, config.securityProfile));
  useHashedClientSecrets(provider, db, clientCache);
  return provider;
}
