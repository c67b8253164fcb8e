/**
 * Requests to the authorization server's public endpoints (oidc-provider): token, introspection,
 * revocation, authorization, plus discovery, JWKS, userinfo and registration, with real and
 * hostile parameters, repeated parameters, odd client authentication and odd content types.
 */
import fc from 'fast-check';
import { brokenBody, contentType, headerValue, hostileString, percentEncode, rawEncoded, sometimes } from './hostile.ts';

/** What the generator may use: a registered client, its redirect URI, real tokens. */
export interface AuthFuzzContext {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  resource: string;
  accessToken: string;
  refreshToken: string;
}

/** One generated request to the authorization server. */
export interface AuthFuzzRequest {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
}

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:openid:params:grant-type:ciba', ''];

/**
 * A form (or query) that is valid except for up to three changes: a parameter replaced by a
 * hostile or odd value, dropped, repeated with another value, or an optional one added; now and
 * then trailing junk.
 *
 * @param base the valid parameters
 * @param optional parameters that may be added, with their values
 */
function formOf(base: Readonly<Record<string, string>>, optional: Readonly<Record<string, fc.Arbitrary<string>>> = {}): fc.Arbitrary<string> {
  const names = [...Object.keys(base), ...Object.keys(optional)];
  const change = fc.record({
    name: fc.constantFrom(...names),
    how: fc.constantFrom('replace', 'drop', 'repeat', 'raw'),
    value: hostileString,
    raw: rawEncoded,
  });
  const optionalValue = (name: string): fc.Arbitrary<string> => optional[name] ?? hostileString;
  return fc.tuple(fc.array(change, { maxLength: 3 }), fc.array(fc.constantFrom(...Object.keys(optional), ...names), { maxLength: 2 }), sometimes(fc.constantFrom('&', '=', '&&=&', 'a', '%', '__proto__=1', `pad=${'p'.repeat(70_000)}`), 8))
    .chain(([changes, added, junk]) => fc.tuple(...added.map((name) => optionalValue(name).map((value) => `${name}=${percentEncode(value)}`))).map((extra) => {
      const pairs: string[] = [];
      for (const [name, value] of Object.entries(base)) {
        const mine = changes.filter((item) => item.name === name);
        if (mine.some((item) => item.how === 'drop')) continue;
        const replaced = mine.find((item) => item.how === 'replace' || item.how === 'raw');
        pairs.push(replaced === undefined ? `${name}=${percentEncode(value)}` : replaced.how === 'raw' ? `${name}=${replaced.raw}` : `${name}=${percentEncode(replaced.value)}`);
        for (const item of mine.filter((each) => each.how === 'repeat')) pairs.push(`${name}=${percentEncode(item.value)}`);
      }
      pairs.push(...extra);
      if (junk !== null) pairs.push(junk);
      return pairs.join('&');
    }));
}

function clientAuthentication(context: AuthFuzzContext): fc.Arbitrary<Record<string, string | string[]>> {
  const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant<Record<string, string | string[]>>({ authorization: basic(context.clientId, context.clientSecret) }) },
    { weight: 2, arbitrary: fc.constant<Record<string, string | string[]>>({}) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.tuple(fc.constantFrom(context.clientId, 'unknown-client', ''), fc.string({ unit: 'binary', maxLength: 30 })).map(([id, secret]) => basic(id, secret)),
        fc.constantFrom('Basic', 'Basic ', 'Basic !!!', 'Basic Zm9v', 'Basic OmZvbw==', 'Basic Og==', `Basic ${'QUFB'.repeat(3_000)}`, 'Bearer abc', 'basic Zm9vOmJhcg=='),
        headerValue.map((value) => `Basic ${value}`),
      ).map((authorization): Record<string, string | string[]> => ({ authorization })),
    },
    { weight: 1, arbitrary: fc.constant<Record<string, string | string[]>>({ authorization: [basic(context.clientId, context.clientSecret), 'Basic Zm9vOmJhcg=='] }) },
  );
}

/** Values an attacker or a confused client might send, for any form parameter. */
function oddValues(context: AuthFuzzContext): Record<string, fc.Arbitrary<string>> {
  const pick = (...real: string[]): fc.Arbitrary<string> => fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: hostileString });
  return {
    client_id: pick(context.clientId, 'unknown-client'),
    client_secret: pick(context.clientSecret, 'wrong'),
    grant_type: pick(...GRANT_TYPES),
    code: pick('abc', 'x'.repeat(43)),
    code_verifier: pick('a'.repeat(43), 'b'.repeat(128), 'short'),
    redirect_uri: pick(context.redirectUri, 'http://evil.example/callback', `${context.redirectUri}?x=1`, 'javascript:alert(1)', 'not a uri'),
    refresh_token: pick(context.refreshToken, 'garbage'),
    scope: pick('openid', 'openid offline_access accounts:read transactions:read transfers:write', 'admin', 'openid openid', ''),
    resource: pick(context.resource, 'http://evil.example', 'urn:x', 'relative/path', `${context.resource}#frag`),
    token: pick(context.accessToken, context.refreshToken, 'garbage', `${context.accessToken}x`),
    token_type_hint: pick('access_token', 'refresh_token', 'id_token', 'nonsense'),
    client_assertion_type: pick('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
    client_assertion: pick('eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.', 'a.b.c'),
    audience: pick(context.resource),
  };
}

/** POST to a token-like endpoint: a valid form of one of `bases` with a few changes, form-encoded mostly, client authentication in any form. */
function tokenLikeRequest(path: string, bases: ReadonlyArray<Record<string, string>>, context: AuthFuzzContext): fc.Arbitrary<AuthFuzzRequest> {
  const odd = oddValues(context);
  return fc.record({
    method: fc.oneof({ weight: 9, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD') }),
    form: fc.oneof(...bases.map((base) => formOf(base, odd))),
    broken: sometimes(brokenBody, 8),
    type: fc.oneof({ weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 2, arbitrary: contentType }),
    authentication: clientAuthentication(context),
  }).map((parts): AuthFuzzRequest => {
    const headers: Record<string, string | string[]> = { ...parts.authentication };
    if (parts.type !== undefined) headers['content-type'] = parts.type;
    return { label: `${path}${parts.broken === null ? '' : ' (broken body)'}`, method: parts.method, path, headers, body: parts.broken ?? parts.form };
  });
}

/** GET /auth (and sometimes POST): a valid authorization request with a few changes, or odd optional parameters added. */
function authorizationRequest(context: AuthFuzzContext): fc.Arbitrary<AuthFuzzRequest> {
  const pick = (...real: string[]): fc.Arbitrary<string> => fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: hostileString });
  const base = {
    client_id: context.clientId, response_type: 'code', redirect_uri: context.redirectUri, scope: 'openid offline_access accounts:read transactions:read transfers:write',
    state: 'state-1', nonce: 'nonce-1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', resource: context.resource,
  };
  const query = formOf(base, {
    client_id: pick('unknown-client'),
    response_type: pick('token', 'id_token', 'code id_token', 'none', 'CODE'),
    redirect_uri: pick('http://evil.example/cb', `${context.redirectUri}/../x`, 'data:text/html,x'),
    scope: pick('accounts:read', 'nope', 'openid openid'),
    state: pick('x'.repeat(2_000)),
    code_challenge: pick('short', 'a'.repeat(129)),
    code_challenge_method: pick('plain', 's256', 'none'),
    prompt: pick('consent', 'none', 'login', 'select_account', 'consent login', 'create'),
    max_age: pick('0', '-1', '1e9', '99999999999999999999', 'NaN'),
    claims: pick('{"userinfo":{"email":null}}', '{', '[]', 'null', '{"id_token":{"acr":{"values":[1,2]}}}'),
    request: pick('eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJ4In0.', 'a.b.c', 'not-a-jwt'),
    request_uri: pick('urn:ietf:params:oauth:request_uri:abc', 'http://evil.example/r'),
    response_mode: pick('query', 'fragment', 'form_post', 'jwt', 'query.jwt', 'web_message'),
    resource: pick('http://evil.example', 'urn:x'),
    ui_locales: pick('en', 'zh-CN', '*'),
    id_token_hint: pick('a.b.c'),
    login_hint: pick('alice'),
    acr_values: pick('urn:mace:incommon:iap:silver'),
  });
  return fc.record({
    method: fc.oneof({ weight: 5, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constant('POST') }),
    query,
  }).map(({ method, query: text }): AuthFuzzRequest => method === 'GET'
    ? { label: 'GET /auth', method, path: `/auth?${text}`, headers: {} }
    : { label: 'POST /auth', method, path: '/auth', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: text });
}

/** Other public endpoints with odd methods, paths and credentials. */
function otherRequest(context: AuthFuzzContext): fc.Arbitrary<AuthFuzzRequest> {
  return fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'),
    path: fc.oneof(
      fc.constantFrom('/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks', '/me', '/reg', '/reg/unknown',
        '/token/introspection/', '/interaction/unknown', '/interaction/unknown/login', '/account/apps', '/session/end', '/', '/%', '/auth/%zz'),
      hostileString.map((text) => `/interaction/${percentEncode(text)}`),
    ),
    authorization: sometimes(fc.oneof(fc.constant(`Bearer ${context.accessToken}`), headerValue.map((value) => `Bearer ${value}`), fc.constant('Basic Og==')), 2),
    body: sometimes(fc.oneof(brokenBody, fc.constant('{"redirect_uris":["javascript:x"],"token_endpoint_auth_method":"none"}')), 2),
    type: sometimes(contentType, 2),
  }).map((parts): AuthFuzzRequest => {
    const headers: Record<string, string | string[]> = {};
    if (parts.authorization !== null) headers.authorization = parts.authorization;
    if (parts.type !== null && parts.type !== undefined) headers['content-type'] = parts.type;
    const where = parts.path.startsWith('/interaction/') ? '/interaction/…' : parts.path;
    return { label: `${parts.method} ${where}`, method: parts.method, path: parts.path, headers, ...(parts.body === null ? {} : { body: parts.body }) };
  });
}

/** Every public endpoint, token-like ones most. */
export function authServerRequests(context: AuthFuzzContext): fc.Arbitrary<AuthFuzzRequest> {
  const token = tokenLikeRequest('/token', [
    { grant_type: 'client_credentials', scope: 'webhooks:manage', resource: context.resource },
    { grant_type: 'refresh_token', refresh_token: context.refreshToken },
    { grant_type: 'authorization_code', code: 'x'.repeat(43), code_verifier: 'a'.repeat(43), redirect_uri: context.redirectUri },
  ], context);
  const introspection = tokenLikeRequest('/token/introspection', [{ token: context.accessToken }, { token: context.refreshToken, token_type_hint: 'refresh_token' }], context);
  const revocation = tokenLikeRequest('/token/revocation', [{ token: 'not-a-token-we-issued' }, { token: context.accessToken, token_type_hint: 'access_token' }], context);
  return fc.oneof(
    { weight: 3, arbitrary: token },
    { weight: 2, arbitrary: introspection },
    { weight: 2, arbitrary: revocation },
    { weight: 2, arbitrary: authorizationRequest(context) },
    { weight: 1, arbitrary: otherRequest(context) },
  );
}
