import { errors } from 'oidc-provider';
import { CLIENT_CREDENTIALS_ONLY_SCOPES, CLIENT_CREDENTIALS_SCOPES, OIDC_SCOPES, RESOURCE_SCOPES } from '../scopes.ts';

const GIVEN = CLIENT_CREDENTIALS_SCOPES.join(' ');
const KNOWN: ReadonlySet<string> = new Set([...OIDC_SCOPES, ...RESOURCE_SCOPES]);

/**
 * The scope rule of a client credentials token request (RFC 6749 §4.4.2; docs/authorization-server.md,
 * "Client credentials"): every scope named is one this grant gives (`webhooks:manage`, the client's
 * own resources) and the client is registered with. Anything else is refused at the token endpoint
 * with `invalid_scope` (RFC 6749 §5.2) saying why, instead of a token without that scope that the
 * resource API would refuse with a puzzling 401 (oidc-provider on its own drops unknown scopes
 * silently). A request without `scope` still gets a token, without a scope (RFC 6749 §3.3 lets the
 * server choose the default; ours is none, and the public contract's checks rely on the grant
 * answering such a request): it proves the client authenticated and can call no API route.
 *
 * @param requested the request's `scope` parameter (space-separated), if any
 * @param registered the client's registered `scope`; undefined: no restriction
 * @throws {errors.InvalidScope} for an unknown scope, a scope that needs a user, or one the client
 *   is not registered with
 */
export function checkClientCredentialsScope(requested: string | undefined, registered: string | undefined): void {
  const scopes = (requested ?? '').split(' ').filter(Boolean);
  const allowed = registered === undefined ? undefined : new Set(registered.split(' '));
  for (const scope of scopes) {
    if (!KNOWN.has(scope)) {
      throw new errors.InvalidScope(`unknown scope ${scope.slice(0, 100)}: client credentials give ${GIVEN}`, scope);
    }
    if (!CLIENT_CREDENTIALS_ONLY_SCOPES.has(scope)) {
      throw new errors.InvalidScope(`${scope} needs a user's consent, through the authorization code flow: client credentials give ${GIVEN}`, scope);
    }
    if (allowed && !allowed.has(scope)) {
      throw new errors.InvalidScope(`this client is not registered with the scope ${scope}`, scope);
    }
  }
}
