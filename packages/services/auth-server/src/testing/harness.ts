import { randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { openAccount } from '@payapi/ledger';
import type { Account } from '@payapi/ledger';
import type { TestDatabase } from '@payapi/platform/testing';
import { exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import * as client from 'openid-client';
import { createClient } from '../clients/create-client.ts';
import type { CreatedClient, NewClient } from '../clients/create-client.ts';
import { loadAuthServerConfig } from '../config.ts';
import { createAuthServer } from '../server.ts';
import type { AuthServer } from '../server.ts';
import { createAuthTestDatabase } from './auth-test-database.ts';
import { createUser } from '../users/index.ts';

export const RESOURCE = 'http://127.0.0.1:4001';
export const REDIRECT_URI = 'http://127.0.0.1:4002/callback';
export const ALL_SCOPES = 'openid offline_access accounts:read transactions:read transfers:write';

/** An authorization server on an ephemeral port, over a test database of its own. */
export interface TestAuthServer {
  issuer: string;
  database: TestDatabase;
  auth: AuthServer;
  /** Every log line the server wrote (JSON, as written), instead of stdout. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Starts the authorization server on `127.0.0.1` and a free port over a new test database;
 * `env` adds to (or replaces) the test configuration (`AUTH_ISSUER`, `RESOURCE_API_URL`, a cookie
 * key, `DATABASE_URL`). Its log lines are kept in {@link TestAuthServer.logs}.
 */
export async function startTestAuthServer(env: Record<string, string> = {}): Promise<TestAuthServer> {
  const database = await createAuthTestDatabase();
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const config = loadAuthServerConfig({
    AUTH_ISSUER: issuer,
    RESOURCE_API_URL: RESOURCE,
    AUTH_COOKIE_KEYS: 'test-cookie-key-0123456789abcdefghijklmnop',
    DATABASE_URL: database.url,
    ...env,
  });
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const auth = await createAuthServer(config, database.db, { logDestination });
  http.on('request', auth.handler);
  return {
    issuer,
    database,
    auth,
    logs,
    async close() {
      await auth.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await database.drop();
    },
  };
}

/** A user with two CNY accounts and one EUR account. */
export interface Alice {
  sub: string;
  username: string;
  password: string;
  accounts: Account[];
}

export async function seedUser(server: TestAuthServer, username = 'alice', password = 'wonderland'): Promise<Alice> {
  const { sub } = await createUser(server.database.db, { username, password });
  const accounts = [
    await openAccount(server.database.db, { ownerSubject: sub, name: `${username} Current`, type: 'current', currency: 'CNY', openingBalanceMinor: 1_000_000n }),
    await openAccount(server.database.db, { ownerSubject: sub, name: `${username} Savings`, type: 'savings', currency: 'CNY', openingBalanceMinor: 5_000_000n }),
    await openAccount(server.database.db, { ownerSubject: sub, name: `${username} Euro`, type: 'current', currency: 'EUR', openingBalanceMinor: 100_000n }),
  ];
  return { sub, username, password, accounts };
}

export async function seedClient(server: TestAuthServer, input: Partial<NewClient> = {}): Promise<CreatedClient> {
  return createClient(server.database.db, { name: 'Partner Demo', redirectUris: [REDIRECT_URI], ...input });
}

/** openid-client configuration for a registered client (plain http allowed: tests run on loopback). */
export async function discover(server: Pick<TestAuthServer, 'issuer'>, registered: CreatedClient): Promise<client.Configuration> {
  const auth = registered.client_secret ? client.ClientSecretBasic(registered.client_secret) : client.None();
  return client.discovery(new URL(server.issuer), registered.client_id, undefined, auth, { execute: [client.allowInsecureRequests] });
}

/**
 * A user agent without a browser: follows redirects by hand, keeps cookies per host (a plain jar:
 * name=value, enough for one test server), submits forms. The browser comes in the end-to-end tests.
 */
export class UserAgent {
  readonly #cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string | string[]> } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.#cookies.size > 0) headers.cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(init.form)) {
        for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
      }
      body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const separator = pair?.indexOf('=') ?? -1;
      if (!pair || separator < 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects from `url` until a page (2xx/4xx) or a URL outside `origin`; returns where it stopped. */
  async follow(url: string, origin: string): Promise<{ url: string; response?: Response }> {
    let current = url;
    for (let hop = 0; hop < 10; hop += 1) {
      if (!current.startsWith(origin)) return { url: current };
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response };
      current = new URL(location, current).toString();
    }
    throw new Error('too many redirects');
  }
}

/** What {@link authorize} did: where the browser ended (the partner's redirect URI with code or error). */
export interface AuthorizeResult {
  callbackUrl: URL;
  verifier: string;
  state: string;
  agent: UserAgent;
  /** With `response_mode=form_post`: the auto-submitting page the server answered with. */
  formPost?: { headers: Headers; html: string };
  /** With `keepConsentPage`: the consent page's form targets and offered account ids, not submitted. */
  consentPage?: { confirm: string; deny: string; accountIds: string[] };
}

/**
 * Runs the authorization-code flow with PKCE as a user would: opens the authorization URL, signs in,
 * ticks the chosen accounts on the consent page and presses Allow (or Deny). With `par` the
 * parameters are pushed first (RFC 9126, `buildAuthorizationUrlWithPAR`; with `dpop`, the code is
 * bound to that key, RFC 9449 §10) and the browser opens the URL with the `request_uri` only.
 */
export async function authorize(
  server: Pick<TestAuthServer, 'issuer'>,
  config: client.Configuration,
  user: { username: string; password: string },
  options: {
    scope?: string; prompt?: string; accountIds?: string[]; deny?: boolean; agent?: UserAgent; extra?: Record<string, string>; keepConsentPage?: boolean;
    par?: boolean; dpop?: client.DPoPHandle;
  } = {},
): Promise<AuthorizeResult> {
  const agent = options.agent ?? new UserAgent();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const parameters = {
    redirect_uri: REDIRECT_URI,
    scope: options.scope ?? ALL_SCOPES,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(options.prompt ? { prompt: options.prompt } : { prompt: 'consent' }),
    ...options.extra,
  };
  const url = options.par
    ? await client.buildAuthorizationUrlWithPAR(config, parameters, options.dpop ? { DPoP: options.dpop } : undefined)
    : client.buildAuthorizationUrl(config, parameters);
  let step = await agent.follow(url.toString(), server.issuer);
  for (let page = 0; page < 4 && step.response; page += 1) {
    const html = await step.response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on ${step.url} (status ${step.response.status}): ${html.slice(0, 300)}`);
    if (!new URL(action, server.issuer).toString().startsWith(server.issuer)) {
      return { callbackUrl: new URL(action), verifier, state, agent, formPost: { headers: step.response.headers, html } };
    }
    const forms = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => new URL(match[1] as string, server.issuer).toString());
    const offered = [...html.matchAll(/name="account_ids" value="([^"]+)"/g)].map((match) => match[1] as string);
    if (options.keepConsentPage && !html.includes('name="password"')) {
      const deny = forms.find((href) => href.endsWith('/abort')) as string;
      return { callbackUrl: new URL(step.url), verifier, state, agent, consentPage: { confirm: new URL(action, server.issuer).toString(), deny, accountIds: offered } };
    }
    let response: Response;
    if (html.includes('name="password"')) {
      response = await agent.request(new URL(action, server.issuer).toString(), { form: { username: user.username, password: user.password } });
    } else if (options.deny) {
      response = await agent.request(forms.find((href) => href.endsWith('/abort')) as string, { method: 'POST', form: {} });
    } else {
      response = await agent.request(new URL(action, server.issuer).toString(), { form: { account_ids: options.accountIds ?? offered } });
    }
    const location = response.headers.get('location');
    if (!location) return { callbackUrl: new URL(step.url), verifier, state, agent };
    step = await agent.follow(new URL(location, server.issuer).toString(), server.issuer);
  }
  if (step.response) throw new Error(`the flow stopped on ${step.url} with status ${step.response.status}`);
  return { callbackUrl: new URL(step.url), verifier, state, agent };
}

/** Exchanges the code of a finished {@link authorize}; with `dpop`, for a DPoP-bound token (RFC 9449 §5). */
export async function exchange(
  config: client.Configuration, result: AuthorizeResult, dpop?: client.DPoPHandle,
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  return client.authorizationCodeGrant(config, result.callbackUrl, { pkceCodeVerifier: result.verifier, expectedState: result.state },
    undefined, dpop ? { DPoP: dpop } : undefined);
}

/** A client's signing key pair for `private_key_jwt` and the public JWKS to register (`seedClient(server, { jwks })`). */
export interface ClientKey {
  privateKey: CryptoKey;
  jwks: { keys: JsonWebKey[] };
  kid: string;
}

/** A new key pair for `private_key_jwt` (ES256 unless `alg` says otherwise), its public JWK with a kid. */
export async function generateClientKey(alg: 'ES256' | 'PS256' | 'EdDSA' | 'RS256' = 'ES256'): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `key-${randomBytes(6).toString('hex')}`;
  // No `alg` in the JWK: openid-client signs an Ed25519 key as `Ed25519` (RFC 9864), which a key
  // registered with `alg: EdDSA` would not match.
  return { privateKey, kid, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig' } as JsonWebKey] } };
}

/** openid-client configuration for a `private_key_jwt` client (RFC 7523 §2.2; the assertion's `aud` is the issuer, FAPI 2.0). */
export async function discoverWithKey(server: Pick<TestAuthServer, 'issuer'>, clientId: string, key: Pick<ClientKey, 'privateKey' | 'kid'>): Promise<client.Configuration> {
  return client.discovery(new URL(server.issuer), clientId, undefined, client.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }),
    { execute: [client.allowInsecureRequests] });
}

/** RFC 7662 introspection as `config`'s client. */
export async function introspect(config: client.Configuration, token: string): Promise<client.IntrospectionResponse> {
  return client.tokenIntrospection(config, token);
}

/**
 * openid-client configuration for a client id and secret, sent as `client_secret_basic` (the
 * Authorization header) or `client_secret_post` (the form body), RFC 6749 §2.3.1.
 */
export async function discoverWithSecret(
  server: Pick<TestAuthServer, 'issuer'>, clientId: string, clientSecret: string, method: 'basic' | 'post' = 'basic',
): Promise<client.Configuration> {
  const auth = method === 'basic' ? client.ClientSecretBasic(clientSecret) : client.ClientSecretPost(clientSecret);
  return client.discovery(new URL(server.issuer), clientId, undefined, auth, { execute: [client.allowInsecureRequests] });
}

/**
 * A client-credentials token request (RFC 6749 §4.4) with `config`'s client, for `scope` (default
 * `webhooks:manage`, the only scope of that grant): the access token, or the OAuth error code the
 * token endpoint answered (`invalid_client`…).
 */
export async function clientCredentialsOutcome(config: client.Configuration, scope = 'webhooks:manage'): Promise<{ accessToken: string } | { error: string }> {
  try {
    return { accessToken: (await client.clientCredentialsGrant(config, { scope })).access_token };
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return { error: error.error };
    // A 401 to client_secret_basic carries a Basic challenge (RFC 6749 §5.2); openid-client reports that instead.
    if (error instanceof client.WWWAuthenticateChallengeError) return { error: error.cause[0]?.parameters.error ?? 'no error code in the challenge' };
    throw error;
  }
}
