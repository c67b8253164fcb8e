import { randomBytes } from 'node:crypto';
import { isSafeText, readPayapiEnvironment } from '@payapi/platform';
import type { PayapiEnvironment } from '@payapi/platform';
import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import { createKnexAdapter } from '../adapter/index.ts';
import { OIDC_SCOPES, RESOURCE_SCOPES } from '../scopes.ts';
import { addResourceServer } from '../tokens/resource-servers.ts';
import { generateClientSecret } from './client-secret-format.ts';
import { SECRET_PLACEHOLDER_PREFIX } from './client-secret-storage.ts';
import { ClientJwksError, checkClientJwks } from './client-jwks.ts';
import { REDIRECT_URIS_MAX, redirectUriProblem } from './redirect-uri-policy.ts';

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
  /**
   * Fixed secret (seeding the partner demo's configured one: any string of 1 to 1024 characters);
   * default a new `sk_sandbox_…`/`sk_live_…` secret (`generateClientSecret`).
   */
  clientSecret?: string;
  /** The deployment's environment, for the secret's prefix; default `readPayapiEnvironment(process.env)`. */
  environment?: PayapiEnvironment;
  /**
   * The client's public keys (`{ "keys": [...] }`, see `checkClientJwks`): the client authenticates
   * with `private_key_jwt` (RFC 7523 §2.2), signing its assertions with the matching private key,
   * and gets no secret. What `SECURITY_PROFILE=fapi2` requires of every client (docs/security.md).
   */
  jwks?: unknown;
}

/** What the operator gets back: the secret is shown this once (only its SHA-256 is stored). */
export interface CreatedClient {
  client_id: string;
  client_secret?: string;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  scope: string;
  token_endpoint_auth_method: string;
  resource_server: boolean;
  /** The registered public keys, for a `private_key_jwt` client. */
  jwks?: { keys: object[] };
}

export class ClientInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientInputError';
  }
}

/** Every scope a client may be registered with (the default of `--scope`, and what a portal app gets). */
export const ALL_SCOPES: readonly string[] = [...OIDC_SCOPES, ...RESOURCE_SCOPES];
const CLIENT_SECRET_LENGTH_MAX = 1024;

/**
 * Why a public client cannot be a resource server: it authenticates with its `client_id` alone,
 * which is no secret, so anyone could introspect every token as it (RFC 7662 §2.1 requires the
 * caller to be authorized; §4 warns against unauthenticated introspection).
 */
export const PUBLIC_RESOURCE_SERVER_REFUSED =
  '--public and --resource-server cannot be combined: a resource server may introspect every token, so it must authenticate with a secret';

/** A client authenticates one way: with its registered keys (private_key_jwt), with a secret, or not at all (public). */
export const JWKS_WITH_OTHER_AUTHENTICATION_REFUSED =
  'a client with --jwks-file authenticates with private_key_jwt: it cannot be --public or have a client secret';

/**
 * Registers a client in the provider's store (the same rows dynamic registration, RFC 7591, writes)
 * and, with `resourceServer`, in `auth.resource_servers`. Confidential clients also get
 * `client_credentials` for backend use. Creating an existing id replaces its metadata and its
 * secret. The secret is stored only as its SHA-256 (the adapter's Client rows, see client-rows.ts).
 * The client is approved: only `createPartnerApp` makes clients that wait for review.
 *
 * @param db knex, or a transaction to register the client in
 * With `jwks` the client authenticates with `private_key_jwt` and has no secret.
 *
 * @throws {ClientInputError} for an empty or long name, a redirect URI that is not absolute,
 *   carries a fragment or credentials, or is plain http outside localhost, more than 10 of them;
 *   unknown scopes; a given secret that is empty, longer than 1024 characters or starts like the
 *   stored placeholder; `public` with `resourceServer` (checked first: nothing is written); `jwks`
 *   that `checkClientJwks` refuses, or given with `public` or `clientSecret`
 * @throws {ConfigError} when `environment` is not given and `PAYAPI_ENVIRONMENT` is malformed
 */
export async function createClient(db: Knex, input: NewClient): Promise<CreatedClient> {
  if (input.public && input.resourceServer) throw new ClientInputError(PUBLIC_RESOURCE_SERVER_REFUSED);
  if (input.jwks !== undefined && (input.public || input.clientSecret !== undefined)) throw new ClientInputError(JWKS_WITH_OTHER_AUTHENTICATION_REFUSED);
  const jwks = input.jwks === undefined ? undefined : checkJwks(input.jwks);
  const name = checkClientName(input.name);
  const redirectUris = checkRedirectUris(input.redirectUris);
  if (redirectUris.length === 0 && !input.resourceServer) throw new ClientInputError('at least one --redirect-uri is needed');
  const scopes = (input.scope ?? ALL_SCOPES.join(' ')).split(/\s+/).filter(Boolean);
  const unknown = scopes.filter((scope) => !ALL_SCOPES.includes(scope));
  if (unknown.length > 0) throw new ClientInputError(`unknown scope(s): ${unknown.join(', ')}; known: ${ALL_SCOPES.join(' ')}`);
  if (input.clientSecret !== undefined) checkGivenSecret(input.clientSecret);
  const clientId = input.clientId ?? `cl_${randomBytes(12).toString('hex')}`;
  const clientSecret = input.public || jwks
    ? undefined
    : (input.clientSecret ?? generateClientSecret(input.environment ?? readPayapiEnvironment(process.env)));
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
    token_endpoint_auth_method: input.public ? 'none' : jwks ? 'private_key_jwt' : 'client_secret_basic',
    ...(jwks ? { jwks } : {}),
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
    ...(jwks ? { jwks } : {}),
  };
}

function checkJwks(value: unknown): { keys: object[] } {
  try {
    return checkClientJwks(value);
  } catch (error) {
    if (error instanceof ClientJwksError) throw new ClientInputError(`--jwks-file: ${error.message}`);
    throw error;
  }
}

/**
 * A client's display name, trimmed: 1 to 100 characters of safe text (`isSafeText`: no control
 * characters, no bidirectional overrides or isolates, which would let a name shown on the consent
 * page read as something else).
 *
 * @throws {ClientInputError} otherwise
 */
export function checkClientName(value: string): string {
  const name = value.trim();
  if (name.length < 1 || name.length > 100 || !isSafeText(name)) {
    throw new ClientInputError('the name must be 1 to 100 printable characters');
  }
  return name;
}

/**
 * Redirect URIs under the registration policy (`redirectUriProblem`), at most 10, as given.
 *
 * @throws {ClientInputError} naming the first URI refused, or saying there are too many
 */
export function checkRedirectUris(values: readonly string[]): string[] {
  if (values.length > REDIRECT_URIS_MAX) throw new ClientInputError(`at most ${REDIRECT_URIS_MAX} redirect URIs`);
  for (const value of values) {
    const problem = redirectUriProblem(value);
    if (problem) throw new ClientInputError(problem);
  }
  return [...values];
}

function checkGivenSecret(secret: string): void {
  if (secret.length < 1 || secret.length > CLIENT_SECRET_LENGTH_MAX || secret.startsWith(SECRET_PLACEHOLDER_PREFIX)) {
    throw new ClientInputError(`a client secret must be 1 to ${CLIENT_SECRET_LENGTH_MAX} characters and not start with "${SECRET_PLACEHOLDER_PREFIX}"`);
  }
}
