/**
 * Turns openapi-to-postmanv2's collection into one a partner can run as it is (issue 17: the
 * converted collection's OAuth settings could not work, it had no token variable, fixed example ids
 * and `cursor=string`, so every request answered 401 or 404).
 *
 * Everything is derived from the OpenAPI document: the OAuth settings from its security schemes,
 * the variables from its path parameters, the order and the chaining of requests from its `links`
 * (a link `transfer_id: $response.body#/id` sets `{{transferId}}` from the answer). What a partner
 * supplies is listed in {@link PARTNER_VARIABLES}; Postman's own "Get New Access Token" fills the
 * token variables through the authorization code flow with PKCE, or client credentials.
 */

/** The parts of a Postman v2.1 collection this module reads and writes. */
export interface PostmanCollection {
  info: { name: string; schema: string; description?: unknown };
  item: PostmanItem[];
  auth?: PostmanAuth;
  variable?: PostmanVariable[];
  event?: PostmanEvent[];
}

export interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: {
    method: string;
    url: { path: string[]; host?: string[]; query?: Array<{ key: string; value?: string; disabled?: boolean }>; variable?: Array<{ key: string; value?: string }> };
    header?: Array<{ key: string; value: string; disabled?: boolean }>;
    body?: { mode?: string; raw?: string };
    auth?: PostmanAuth;
  };
  event?: PostmanEvent[];
  response?: unknown[];
}

interface PostmanAuth {
  type: string;
  oauth2?: Array<{ key: string; value: unknown; type?: string }>;
}
export interface PostmanVariable {
  key: string;
  value: string;
  type: 'string';
  description?: string;
}
interface PostmanEvent {
  listen: 'test' | 'prerequest';
  script: { type: 'text/javascript'; exec: string[] };
}

/** An operation of the document as this module needs it. */
interface Operation {
  operationId: string;
  /** The first security requirement's scheme (`oauth2`: a user's token; `oauth2ClientCredentials`: the client's). */
  scheme: string;
  scopes: string[];
  /** variable name → JSON pointer into the 2xx answer, from the answer's links. */
  sets: Map<string, string>;
}

/**
 * What a partner supplies (`--env-var` with newman, or the collection's variables in Postman): the
 * two token variables come from Postman's "Get New Access Token" (or any OAuth client), the rest
 * from the partner's own registration and the user's accounts and consent.
 */
export const PARTNER_VARIABLES: Readonly<Record<string, string>> = {
  baseUrl: 'The resource API',
  clientId: 'Your client id (developer portal or registration)',
  clientSecret: 'Your client secret (confidential clients)',
  redirectUri: 'One of your client\'s own registered redirect URIs (for Postman\'s browser flow: https://oauth.pstmn.io/v1/callback, registered for your client)',
  accessToken: 'A user\'s access token (authorization code flow with PKCE): the account, transaction, transfer and payment routes',
  clientAccessToken: 'Your client\'s own access token (client credentials, scope webhooks:manage): the webhook and event routes',
  accountId: 'An account the user consented to (GET /v1/accounts); transfers are made from it',
  destinationAccountId: 'The account a transfer goes to (same currency)',
  currency: 'The accounts\' currency',
  consentId: 'The consent_id of the payment consent in your access token\'s authorization_details',
  webhookUrl: 'Your webhook receiver (https, public)',
};

/** Body members whose example values are replaced by a variable. */
const BODY_VARIABLES: Readonly<Record<string, string>> = {
  source_account_id: 'accountId',
  destination_account_id: 'destinationAccountId',
  currency: 'currency',
  consent_id: 'consentId',
  url: 'webhookUrl',
};

/** `transfer_id` → `transferId`: the variable of a parameter. */
export function variableOf(parameter: string): string {
  return parameter.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * The collection made usable; see this module's comment.
 *
 * @throws {Error} when a converted request matches no operation of the document (a converter change)
 */
export function forPartners(collection: PostmanCollection, document: Record<string, unknown>, issuer: string): PostmanCollection {
  const operations = operationsOf(document);
  const chained = new Set<string>();
  const visit = (items: PostmanItem[]): PostmanItem[] => items.map((item) => {
    if (item.item) return { ...item, item: ordered(visit(item.item), operations) };
    if (!item.request) return item;
    const operation = operations.get(keyOf(item));
    if (!operation) throw new Error(`the Postman collection has a request the document does not: ${keyOf(item)}`);
    for (const variable of operation.sets.keys()) chained.add(variable);
    return partnerRequest(item, operation, issuer);
  });
  const item = visit(collection.item);
  const server = ((document.servers as Array<{ url: string }> | undefined)?.[0]?.url) ?? '';
  return {
    ...collection,
    info: { ...collection.info, description: `${descriptionOf(collection.info.description)}\n\n${USAGE}` },
    item,
    auth: userAuth(issuer, operations),
    variable: [
      ...Object.entries(PARTNER_VARIABLES).map(([key, description]): PostmanVariable => ({
        key, type: 'string', description, value: key === 'baseUrl' ? server : key === 'currency' ? 'CNY' : '',
      })),
      ...[...chained].filter((key) => !(key in PARTNER_VARIABLES)).map((key): PostmanVariable => ({
        key, type: 'string', value: '', description: 'Set by an earlier request of this collection (its answer\'s id).',
      })),
    ],
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: [
      'pm.test(\'answers 2xx\', function () {',
      '  pm.expect(pm.response.code, pm.response.text()).to.be.within(200, 299);',
      '});',
    ] } }],
  };
}

const USAGE = [
  'How to use this collection: set `clientId`, `clientSecret` and `redirectUri` (your client\'s own), then "Get New Access Token" on the collection',
  '(authorization code with PKCE; a user signs in and consents) or put a token in `accessToken`. The webhook and event requests use your',
  'client\'s own token (`clientAccessToken`, client credentials with `webhooks:manage`). Set `accountId`, `destinationAccountId`, `consentId`',
  'and `webhookUrl`; ids of things the collection creates (a transfer, a payment, an endpoint, an event) are set from the answers.',
  'Optional query parameters are listed but off: tick one to send it.',
].join(' ');

function descriptionOf(description: unknown): string {
  if (typeof description === 'string') return description;
  const content = (description as { content?: unknown } | undefined)?.content;
  return typeof content === 'string' ? content : '';
}

/** `get /v1/accounts/{account_id}` for a converted request (path segments `:account_id`). */
function keyOf(item: PostmanItem): string {
  const path = (item.request?.url.path ?? []).map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment)).join('/');
  return `${item.request?.method.toLowerCase()} /${path}`;
}

function operationsOf(document: Record<string, unknown>): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Record<string, Record<string, unknown>>>)) {
    for (const [method, operation] of Object.entries(item)) {
      const requirement = ((operation.security as Array<Record<string, string[]>> | undefined)?.[0]) ?? {};
      const [scheme = '', scopes = []] = Object.entries(requirement)[0] ?? [];
      const sets = new Map<string, string>();
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Record<string, { links?: Record<string, { parameters?: Record<string, string> }> }>)) {
        if (!status.startsWith('2')) continue;
        for (const link of Object.values(response.links ?? {})) {
          for (const [parameter, expression] of Object.entries(link.parameters ?? {})) {
            const pointer = /^\$response\.body#(\/.*)$/.exec(expression)?.[1];
            if (pointer !== undefined) sets.set(variableOf(parameter), pointer);
          }
        }
      }
      operations.set(`${method} ${path}`, { operationId: String(operation.operationId), scheme, scopes, sets });
    }
  }
  return operations;
}

/** Requests that set variables first, deletions last, the rest in the document's order. */
function ordered(items: PostmanItem[], operations: Map<string, Operation>): PostmanItem[] {
  const rank = (item: PostmanItem): number => {
    if (!item.request) return 1;
    if (item.request.method === 'DELETE') return 2;
    return (operations.get(keyOf(item))?.sets.size ?? 0) > 0 ? 0 : 1;
  };
  return items.map((item, index) => ({ item, index })).sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index).map(({ item }) => item);
}

function partnerRequest(item: PostmanItem, operation: Operation, issuer: string): PostmanItem {
  const request = item.request as NonNullable<PostmanItem['request']>;
  const { auth: _converted, ...rest } = request;
  const url = {
    ...request.url,
    variable: (request.url.variable ?? []).map((variable) => ({ ...variable, value: `{{${variableOf(variable.key)}}}` })),
    // Optional parameters stay listed, unticked: a partner ticks what to send (no `cursor=string`).
    query: (request.url.query ?? []).map((parameter) => ({ ...parameter, value: '', disabled: true })),
  };
  const header = (request.header ?? []).map((entry) => (entry.key.toLowerCase() === 'idempotency-key' ? { ...entry, value: '{{$guid}}' } : entry));
  const body = request.body?.mode === 'raw' && request.body.raw ? { ...request.body, raw: withVariables(request.body.raw) } : request.body;
  const events: PostmanEvent[] = operation.sets.size === 0 ? [] : [{ listen: 'test', script: { type: 'text/javascript', exec: [
    'if (pm.response.code >= 200 && pm.response.code < 300) {',
    '  const answer = pm.response.json();',
    '  const at = (pointer) => pointer.split(\'/\').slice(1).reduce((value, key) => (value == null ? value : value[key.replace(/~1/g, \'/\').replace(/~0/g, \'~\')]), answer);',
    // An id this collection creates is replaced on every run; one the partner supplies (accountId) only filled in when unset.
    ...[...operation.sets].map(([variable, pointer]) => `  if (at(${JSON.stringify(pointer)}) !== undefined${variable in PARTNER_VARIABLES ? ` && !pm.variables.get(${JSON.stringify(variable)})` : ''}) `
      + `pm.collectionVariables.set(${JSON.stringify(variable)}, String(at(${JSON.stringify(pointer)})));`),
    '}',
  ] } }];
  return {
    ...item,
    request: {
      ...rest,
      url,
      header,
      ...(body ? { body } : {}),
      // The client's own routes take its client-credentials token; every other route the collection's (a user's).
      ...(operation.scheme === 'oauth2ClientCredentials' ? { auth: clientAuth(issuer, operation.scopes) } : {}),
    },
    event: [...(item.event ?? []), ...events],
  };
}

/** The body's example with the members of {@link BODY_VARIABLES} replaced by their variables. */
function withVariables(raw: string): string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return raw;
  const replaced = Object.fromEntries(Object.entries(body).map(([name, value]) => [name, name in BODY_VARIABLES ? `{{${BODY_VARIABLES[name]}}}` : value]));
  return JSON.stringify(replaced, null, 2);
}

/**
 * The collection's OAuth 2.0 settings: the authorization code flow with PKCE (S256) at the
 * authorization server, with the partner's own client id, secret and redirect URI (RFC 9700: exact
 * redirect URIs; the converter put the token URL there), every user scope the document names, and
 * the token from `{{accessToken}}` in the Authorization header.
 */
function userAuth(issuer: string, operations: Map<string, Operation>): PostmanAuth {
  const scopes = new Set(['openid']);
  for (const operation of operations.values()) if (operation.scheme === 'oauth2') operation.scopes.forEach((scope) => scopes.add(scope));
  return { type: 'oauth2', oauth2: oauth2Settings({
    grant_type: 'authorization_code_with_pkce', challengeAlgorithm: 'S256', authUrl: `${issuer}/auth`, accessTokenUrl: `${issuer}/token`,
    clientId: '{{clientId}}', clientSecret: '{{clientSecret}}', redirect_uri: '{{redirectUri}}', scope: [...scopes].join(' '),
    client_authentication: 'header', useBrowser: false, tokenName: 'user access token', accessToken: '{{accessToken}}',
    addTokenTo: 'header', headerPrefix: 'Bearer',
  }) };
}

/** Client credentials for the client's own routes (RFC 6749 §4.4), the token from `{{clientAccessToken}}`. */
function clientAuth(issuer: string, scopes: string[]): PostmanAuth {
  return { type: 'oauth2', oauth2: oauth2Settings({
    grant_type: 'client_credentials', accessTokenUrl: `${issuer}/token`, clientId: '{{clientId}}', clientSecret: '{{clientSecret}}',
    scope: scopes.join(' '), client_authentication: 'header', tokenName: 'client access token', accessToken: '{{clientAccessToken}}',
    addTokenTo: 'header', headerPrefix: 'Bearer',
  }) };
}

function oauth2Settings(settings: Record<string, string | boolean>): NonNullable<PostmanAuth['oauth2']> {
  return Object.entries(settings).map(([key, value]) => ({ key, value, type: typeof value === 'boolean' ? 'boolean' : 'string' }));
}
