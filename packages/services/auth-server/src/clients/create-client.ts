import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import { createKnexAdapter } from '../adapter/index.ts';
import { OIDC_SCOPES, RESOURCE_SCOPES } from '../scopes.ts';
import { addResourceServer } from '../tokens/resource-servers.ts';

/** Input of {@link createClient} (operator CLI `clients:create`). */
export interface NewClient {
  /** Shown on the consent and connected-apps pages: 1..100 characters. */
  name: string;
  /** Exact redirect URIs (RFC 9700 §4.1.3): https, or http on localhost/127.0.0.1 for development. */
  redirectUris: string[];
  /** Space-separated scopes the client may ask for. Default: all of them. */
  scope?: string;
  /** Public client (no secret, `token_endpoint_auth_method: none`): apps that cannot keep a secret. */
  public?: boolean;
  /**
   * May introspect every token (RFC 7662), e.g. the resource API. Needs client authentication:
   * refused together with `public` (RFC 7662 §2.1, §4).
   */
  resourceServer?: boolean;
  /** Fixed id (seeding the demo's `partner-demo`); default a random `cl_…` id. */
  clientId?: string;
  /** Fixed secret (seeding); default 256 random bits, base64url. */
  clientSecret?: string;
}

/** What the operator gets back: the secret is shown this once. */
export interface CreatedClient {
  client_id: string;
  client_secret?: string;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  scope: string;
  token_endpoint_auth_method: string;
  resource_server: boolean;
}

export class ClientInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientInputError';
  }
}

const ALL_SCOPES = [...OIDC_SCOPES, ...RESOURCE_SCOPES];

/**
 * Why a public client cannot be a resource server: it authenticates with its `client_id` alone,
 * which is no secret, so anyone could introspect every token as it (RFC 7662 §2.1 requires the
 * caller to be authorized; §4 warns against unauthenticated introspection).
 */
export const PUBLIC_RESOURCE_SERVER_REFUSED =
  '--public and --resource-server cannot be combined: a resource server may introspect every token, so it must authenticate with a secret';

/**
 * Registers a client in the provider's store (the same rows dynamic registration, RFC 7591, writes)
 * and, with `resourceServer`, in `auth.resource_servers`. Confidential clients also get
 * `client_credentials` for backend use. Creating an existing id replaces its metadata.
 *
 * @throws {ClientInputError} for an empty or long name, a redirect URI that is not absolute,
 *   carries a fragment or credentials, or is plain http outside localhost; unknown scopes; `public`
 *   with `resourceServer` (checked first: nothing is written)
 */
export async function createClient(db: Knex, input: NewClient): Promise<CreatedClient> {
  if (input.public && input.resourceServer) throw new ClientInputError(PUBLIC_RESOURCE_SERVER_REFUSED);
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100 || !name.isWellFormed() || /\p{Cc}/u.test(name)) {
    throw new ClientInputError('--name must be 1 to 100 printable characters');
  }
  const redirectUris = input.redirectUris.map(checkRedirectUri);
  if (redirectUris.length === 0 && !input.resourceServer) throw new ClientInputError('at least one --redirect-uri is needed');
  const scopes = (input.scope ?? ALL_SCOPES.join(' ')).split(/\s+/).filter(Boolean);
  const unknown = scopes.filter((scope) => !(ALL_SCOPES as string[]).includes(scope));
  if (unknown.length > 0) throw new ClientInputError(`unknown scope(s): ${unknown.join(', ')}; known: ${ALL_SCOPES.join(' ')}`);
  const clientId = input.clientId ?? `cl_${randomBytes(12).toString('hex')}`;
  const clientSecret = input.public ? undefined : (input.clientSecret ?? randomBytes(32).toString('base64url'));
  const grantTypes = redirectUris.length === 0
    ? ['client_credentials']
    : input.public ? ['authorization_code', 'refresh_token'] : ['authorization_code', 'refresh_token', 'client_credentials'];
  const metadata = {
    client_id: clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
    client_name: name,
    redirect_uris: redirectUris,
    grant_types: grantTypes,
    response_types: redirectUris.length === 0 ? [] : ['code'],
    scope: scopes.join(' '),
    token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
  };
  const Adapter = createKnexAdapter(db);
  await new Adapter('Client').upsert(clientId, metadata as AdapterPayload, undefined);
  if (input.resourceServer) await addResourceServer(db, clientId);
  return {
    client_id: clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
    client_name: name,
    redirect_uris: redirectUris,
    grant_types: grantTypes,
    scope: metadata.scope,
    token_endpoint_auth_method: metadata.token_endpoint_auth_method,
    resource_server: input.resourceServer === true,
  };
}

function checkRedirectUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ClientInputError(`redirect URI is not an absolute URL: ${value.slice(0, 200)}`);
  }
  if (url.hash || url.username || url.password) throw new ClientInputError(`redirect URI must not carry a fragment or credentials: ${value}`);
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw new ClientInputError(`redirect URI must be https (http only on localhost): ${value}`);
  }
  return value;
}
