import type { Client } from 'oidc-provider';

/**
 * Whether an authenticated client may see a token as active at the introspection endpoint
 * (RFC 7662 §2.1 "the protected resource calls the introspection endpoint", §4 "the authorization
 * server MUST determine whether the caller is authorized"): the token's own client, or a registered
 * resource server that proved who it is.
 *
 * A client without authentication (`token_endpoint_auth_method` `none`, or none known) is never a
 * resource server, whatever `auth.resource_servers` says: it "authenticates" with its `client_id`
 * alone, which is public, so anyone could introspect every token as it. `clients:create` refuses
 * `--public` with `--resource-server`; this check holds even for rows written some other way.
 * Used for opaque tokens (oidc-provider's `features.introspection.allowedPolicy`) and for JWT
 * access tokens (`jwtTokenEndpoints`) alike.
 *
 * @param client the client that called, as oidc-provider authenticated it
 * @param tokenClientId the `client_id` the token was issued to
 * @param isResourceServer whether a client id is registered as a resource server (asked only for
 *   an authenticated client that is not the token's own)
 * @returns true to answer with the token's claims, false to answer `{"active": false}`
 */
export async function mayIntrospect(
  client: Pick<Client, 'clientId' | 'clientAuthMethod'>,
  tokenClientId: string | undefined,
  isResourceServer: (clientId: string) => Promise<boolean>,
): Promise<boolean> {
  if (tokenClientId !== undefined && tokenClientId === client.clientId) return true;
  if (client.clientAuthMethod === undefined || client.clientAuthMethod === 'none') return false;
  return isResourceServer(client.clientId);
}
