import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

/** Name of the registration policy applied to clients that third-party developers register themselves. */
export const THIRD_PARTY_POLICY = 'third-party';

/**
 * Registration policy (oidc-provider `features.registration.policies`) for dynamic registration
 * (RFC 7591): the same redirect URI rule as the operator CLI. Redirect URIs must be https, or http
 * on localhost/127.0.0.1 for development (RFC 9700 §2.1 and §4.1.3); no fragments or credentials.
 *
 * @throws {errors.InvalidRedirectUri} naming the offending URI
 */
export function checkThirdPartyRedirectUris(_ctx: KoaContextWithOIDC, properties: ClientMetadata): void {
  for (const value of properties.redirect_uris ?? []) {
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
