/**
 * The FAPI 2.0 Security Profile (`SECURITY_PROFILE=fapi2`, docs/security.md "FAPI 2.0 profile"),
 * applied on top of the provider's configuration. `default` changes nothing.
 *
 * oidc-provider's `features.fapi` (profile `2.0`) enforces part of the profile by itself: PKCE for
 * every client, `aud` = the issuer in client assertions, a `redirect_uri` in every authorization
 * request, the request-object rules. What it leaves to the deployment is set here:
 * - PAR (RFC 9126) required for every authorization request (FAPI 2.0 §5.3.1.1 point 2);
 * - client authentication `private_key_jwt` only (§5.3.1.1 point 4), at every endpoint that
 *   authenticates clients (token, PAR, introspection, revocation);
 * - sender-constrained access tokens (§5.3.1.1 point 5): every client is read as
 *   `dpop_bound_access_tokens: true` (RFC 9449 §5.2), so a token request without a DPoP proof fails;
 * - `response_type=code` only (§5.3.1.2 point 1);
 * - JWS algorithms PS256, ES256 or EdDSA (§5.4.1; EdDSA also as `Ed25519`, RFC 9864);
 * - authorization codes valid at most 60 seconds (§5.3.1.2 point 6);
 * - dynamic registration (RFC 7591) accepts `private_key_jwt` clients with an inline `jwks` only.
 */
import type { SecurityProfile } from '@payapi/platform';
import type { AdapterConstructor, ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { ClientJwksError, checkClientJwks } from './clients/client-jwks.ts';

/**
 * JWS algorithms of the FAPI 2.0 Security Profile (§5.4.1): client assertions, DPoP proofs, request
 * objects, our own signatures. `Ed25519` is EdDSA over Ed25519 under its fully specified name
 * (RFC 9864), the name openid-client signs with for an Ed25519 key: the same algorithm.
 */
export const FAPI2_SIGNING_ALGORITHMS = ['PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
/**
 * DPoP proof algorithms under FAPI 2.0: the resource API's list (ES256, PS256, EdDSA), so that every
 * token bound here can be used there. (openid-client names an Ed25519 proof `Ed25519`: use an
 * ES256 or PS256 DPoP key with it.)
 */
export const FAPI2_DPOP_ALGORITHMS = ['PS256', 'ES256', 'EdDSA'] as const;
/** Longest lifetime of an authorization code under FAPI 2.0, seconds (§5.3.1.2 point 6). */
export const FAPI2_AUTHORIZATION_CODE_TTL_SECONDS_MAX = 60;
/** The only client authentication method under FAPI 2.0 here (no mutual TLS: the services do not terminate TLS). */
export const FAPI2_CLIENT_AUTH_METHOD = 'private_key_jwt';

type SigningAlgorithmList = keyof NonNullable<Configuration['enabledJWA']>;
/** The enabledJWA lists of signing algorithms (encryption lists stay as they are: nothing here encrypts). */
const SIGNING_ALGORITHM_LISTS: readonly SigningAlgorithmList[] = [
  'clientAuthSigningAlgValues', 'dPoPSigningAlgValues', 'requestObjectSigningAlgValues', 'idTokenSigningAlgValues',
  'userinfoSigningAlgValues', 'introspectionSigningAlgValues', 'authorizationSigningAlgValues',
];

/**
 * `configuration` under `profile`: the same object for `default`; for `fapi2` a new configuration
 * with the settings listed in this module's comment.
 *
 * @throws {TypeError} when `configuration` signs with an algorithm outside PS256/ES256/EdDSA
 *   (a programming error: our own keys are ES256)
 */
export function applySecurityProfile(configuration: Configuration, profile: SecurityProfile): Configuration {
  if (profile === 'default') return configuration;
  const features = configuration.features ?? {};
  const registration = features.registration ?? {};
  return {
    ...configuration,
    ...(configuration.adapter ? { adapter: readClientsAsDpopBound(configuration.adapter as AdapterConstructor) } : {}),
    responseTypes: ['code'],
    clientAuthMethods: [FAPI2_CLIENT_AUTH_METHOD],
    clientDefaults: {
      ...configuration.clientDefaults,
      token_endpoint_auth_method: FAPI2_CLIENT_AUTH_METHOD,
      dpop_bound_access_tokens: true,
      response_types: ['code'],
    },
    enabledJWA: fapi2Algorithms(configuration.enabledJWA ?? {}),
    ttl: { ...configuration.ttl, AuthorizationCode: authorizationCodeTtl(configuration.ttl?.AuthorizationCode) },
    features: {
      ...features,
      fapi: { enabled: true, profile: '2.0' },
      pushedAuthorizationRequests: { ...features.pushedAuthorizationRequests, enabled: true, requirePushedAuthorizationRequests: true },
      dPoP: { ...features.dPoP, enabled: true },
      registration: {
        ...registration,
        policies: Object.fromEntries(Object.entries(registration.policies ?? {}).map(([name, policy]) => [name, async (ctx: KoaContextWithOIDC, properties: ClientMetadata) => {
          checkFapi2Registration(properties);
          await policy(ctx, properties);
        }])),
      },
    },
  };
}

/**
 * The dynamic-registration rule under FAPI 2.0, before the registration's other policies: the
 * client authenticates with `private_key_jwt` (stated or defaulted), its keys come inline as `jwks`
 * (checked by `checkClientJwks`), and its access tokens are DPoP-bound (set here, so the
 * registration response says so). A `jwks_uri` is refused: the server would fetch, on every key
 * lookup, a URL that the registrant chose (server-side request forgery), as webhooks are guarded against.
 *
 * @throws {errors.InvalidClientMetadata} saying what is missing or refused
 */
export function checkFapi2Registration(properties: ClientMetadata): void {
  const method = properties.token_endpoint_auth_method ?? FAPI2_CLIENT_AUTH_METHOD;
  if (method !== FAPI2_CLIENT_AUTH_METHOD) {
    throw new errors.InvalidClientMetadata(`token_endpoint_auth_method must be ${FAPI2_CLIENT_AUTH_METHOD} (FAPI 2.0 profile)`);
  }
  if (properties.jwks_uri !== undefined) throw new errors.InvalidClientMetadata('jwks_uri is not accepted: register the public keys inline as jwks');
  if (properties.jwks === undefined) throw new errors.InvalidClientMetadata(`jwks is required: ${FAPI2_CLIENT_AUTH_METHOD} needs the client's public keys`);
  try {
    checkClientJwks(properties.jwks);
  } catch (error) {
    if (error instanceof ClientJwksError) throw new errors.InvalidClientMetadata(`jwks: ${error.message}`);
    throw error;
  }
  properties.token_endpoint_auth_method = FAPI2_CLIENT_AUTH_METHOD;
  properties.dpop_bound_access_tokens = true;
}

/**
 * The adapter with every `Client` read as `dpop_bound_access_tokens: true`, whatever its row holds
 * (a client registered before the profile was switched on, or by any other path): oidc-provider
 * then refuses each token request without a DPoP proof (RFC 9449 §5.2) and binds every access
 * token to the proof's key (`cnf.jkt`). A client registered with another authentication method
 * (a secret, none) reads as unknown.
 */
function readClientsAsDpopBound(Adapter: AdapterConstructor): AdapterConstructor {
  return class DpopBoundClients extends Adapter {
    readonly #clients: boolean;

    constructor(name: string) {
      super(name);
      this.#clients = name === 'Client';
    }

    override async find(id: string) {
      const payload = await super.find(id);
      if (!this.#clients || !payload) return payload;
      // A client that authenticates otherwise cannot be used under this profile: unknown to the
      // provider, it gets `invalid_client` (RFC 6749 §5.2, "unsupported authentication method")
      // rather than `invalid_client_metadata` from every endpoint.
      if (payload.token_endpoint_auth_method !== FAPI2_CLIENT_AUTH_METHOD) return undefined;
      return { ...payload, dpop_bound_access_tokens: true };
    }
  };
}

/**
 * The algorithm lists under FAPI 2.0: what clients sign (assertions, DPoP proofs, request objects)
 * is exactly PS256, ES256 and EdDSA; what the server signs stays as configured (ES256), checked to
 * be within them; a list left unset (oidc-provider's default has RS256, HS256…) is pinned too.
 */
function fapi2Algorithms(enabled: NonNullable<Configuration['enabledJWA']>): NonNullable<Configuration['enabledJWA']> {
  const allowed = new Set<string>(FAPI2_SIGNING_ALGORITHMS);
  const lists: Record<string, string[] | undefined> = { ...enabled } as Record<string, string[] | undefined>;
  for (const list of ['clientAuthSigningAlgValues', 'requestObjectSigningAlgValues']) {
    lists[list] = [...FAPI2_SIGNING_ALGORITHMS];
  }
  lists.dPoPSigningAlgValues = [...FAPI2_DPOP_ALGORITHMS];
  for (const list of SIGNING_ALGORITHM_LISTS) {
    lists[list] ??= [...FAPI2_SIGNING_ALGORITHMS];
    const outside = (lists[list] ?? []).filter((alg) => !allowed.has(alg));
    if (outside.length > 0) throw new TypeError(`FAPI 2.0 profile: enabledJWA.${list} has ${outside.join(', ')}; only ${FAPI2_SIGNING_ALGORITHMS.join(', ')} are allowed`);
  }
  return lists as NonNullable<Configuration['enabledJWA']>;
}

function authorizationCodeTtl(ttl: unknown): number {
  return typeof ttl === 'number' ? Math.min(ttl, FAPI2_AUTHORIZATION_CODE_TTL_SECONDS_MAX) : FAPI2_AUTHORIZATION_CODE_TTL_SECONDS_MAX;
}
