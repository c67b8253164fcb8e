import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

/** Name of the registration policy applied to clients that third-party developers register themselves. */
export const THIRD_PARTY_POLICY = 'third-party';

const REDIRECT_URIS_MAX = 10;

/**
 * Registration policy (oidc-provider `features.registration.policies`) for dynamic registration
 * (RFC 7591): the same redirect URI rule as the operator CLI. Redirect URIs must be https, or http
 * on localhost/127.0.0.1 for development (RFC 9700 §2.1 and §4.1.3); no fragments or credentials.
 *
 * Also: at most 10 redirect URIs; post-logout redirect URIs follow the same rule; a client without
 * a secret (`token_endpoint_auth_method: none`) may not use `client_credentials`, which would let
 * anyone who learns its id mint tokens.
 *
 * @throws {errors.InvalidRedirectUri} naming the offending URI
 * @throws {errors.InvalidClientMetadata} for too many URIs or client credentials without a secret
 */
export function checkThirdPartyRedirectUris(_ctx: KoaContextWithOIDC, properties: ClientMetadata): void {
  const redirectUris = [...(properties.redirect_uris ?? []), ...(properties.post_logout_redirect_uris ?? [])];
  if ((properties.redirect_uris ?? []).length > REDIRECT_URIS_MAX || (properties.post_logout_redirect_uris ?? []).length > REDIRECT_URIS_MAX) {
    throw new errors.InvalidClientMetadata(`at most ${REDIRECT_URIS_MAX} redirect URIs of each kind`);
  }
  if (properties.token_endpoint_auth_method === 'none' && (properties.grant_types ?? []).includes('client_credentials')) {
    throw new errors.InvalidClientMetadata('client_credentials needs client authentication: token_endpoint_auth_method none is not allowed with it');
  }
  for (const value of redirectUris) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new errors.InvalidRedirectUri(`redirect_uri is not an absolute URL: ${value.slice(0, 200)}`);
    }
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
      throw new errors.InvalidRedirectUri('redirect_uris must use https (http only on localhost)');
    }
    if (url.hash || url.username || url.password) {
      throw new errors.InvalidRedirectUri('redirect_uris must not carry a fragment or credentials');
    }
  }
}
