import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { REDIRECT_URIS_MAX, redirectUriProblem } from './redirect-uri-policy.ts';

/** Name of the registration policy applied to clients that third-party developers register themselves. */
export const THIRD_PARTY_POLICY = 'third-party';

/**
 * Registration policy (oidc-provider `features.registration.policies`) for dynamic registration
 * (RFC 7591): the same redirect URI rule as the operator CLI and the developer portal
 * (`redirectUriProblem`): https, or http on localhost/127.0.0.1 for development (RFC 9700 §2.1 and
 * §4.1.3); no fragments or credentials.
 *
 * Also: at most 10 redirect URIs; post-logout redirect URIs follow the same rule; a client without
 * a secret (`token_endpoint_auth_method: none`) may not use `client_credentials`, which would let
 * anyone who learns its id mint tokens.
 *
 * Every refusal says what is wrong in `error_description` (RFC 7591 §3.2.2), naming the URI:
 * oidc-provider's `InvalidRedirectUri` would otherwise answer its fixed "redirect_uri did not match
 * any of the client's registered redirect_uris", which is about the authorization endpoint, not
 * about registration.
 *
 * @throws {errors.InvalidRedirectUri} `invalid_redirect_uri` naming the offending (post-logout) redirect URI and the rule
 * @throws {errors.InvalidClientMetadata} for too many URIs, or client credentials without a secret
 */
export function checkThirdPartyRedirectUris(_ctx: KoaContextWithOIDC, properties: ClientMetadata): void {
  if ((properties.redirect_uris ?? []).length > REDIRECT_URIS_MAX || (properties.post_logout_redirect_uris ?? []).length > REDIRECT_URIS_MAX) {
    throw new errors.InvalidClientMetadata(`at most ${REDIRECT_URIS_MAX} redirect URIs of each kind`);
  }
  if (properties.token_endpoint_auth_method === 'none' && (properties.grant_types ?? []).includes('client_credentials')) {
    throw new errors.InvalidClientMetadata('client_credentials needs client authentication: token_endpoint_auth_method none is not allowed with it');
  }
  for (const value of properties.redirect_uris ?? []) {
    const problem = redirectUriProblem(value);
    if (problem) throw invalidRedirectUri(problem);
  }
  for (const value of properties.post_logout_redirect_uris ?? []) {
    const problem = redirectUriProblem(value);
    if (problem) throw invalidRedirectUri(`post_logout_redirect_uris: ${problem.replace(/^redirect URI/, 'a post-logout redirect URI')}`);
  }
}

/** `invalid_redirect_uri` (RFC 7591 §3.2.2) with `description` as its `error_description`. */
function invalidRedirectUri(description: string): errors.InvalidRedirectUri {
  const error = new errors.InvalidRedirectUri();
  // The class sets a fixed description (about the authorization endpoint) and drops its argument.
  error.error_description = description;
  return error;
}
