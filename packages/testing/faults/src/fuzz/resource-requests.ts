/**
 * Requests to the resource API generated from its OpenAPI document: every documented operation with
 * path, query, header and body values from the schemas (mostly valid, often near-valid, sometimes
 * hostile), plus undocumented paths and methods, odd headers and bad credentials.
 */
import fc from 'fast-check';
import { brokenBody, contentEncoding, contentType, headerValue, hostileSegment, hostileString, hostileValue, percentEncode, rawEncoded, sometimes } from './hostile.ts';
import { dateTime, schemaArbitrary } from './schema-arbitrary.ts';
import type { Hints, JsonSchema } from './schema-arbitrary.ts';

/** How the request presents an access token; turned into a header when it is sent. */
export type Credentials =
  /** A live token of user `owner` from the code flow, in the `scheme` given (case varies). */
  | { kind: 'token'; owner: number; scheme: string }
  /** The same token with its signature's last character changed. */
  | { kind: 'tampered'; owner: number }
  | { kind: 'none' }
  /** `Authorization` exactly as given (several lines when an array). */
  | { kind: 'raw'; value: string | string[] };

/** One generated request, before the token is filled in. */
export interface FuzzRequest {
  /** The operation (`operationId`) or `undocumented`, and how the request was made. */
  label: string;
  method: string;
  /** Path and query as they go on the request line. */
  path: string;
  headers: Record<string, string | string[]>;
  credentials: Credentials;
  body?: string | Buffer;
}

/** What the generator needs to know about the seeded data. */
export interface FuzzContext {
  /** Accounts of user 0 (the usual token). */
  ownAccountIds: readonly string[];
  /** Accounts of other users (exist, not consented in user 0's token). */
  otherAccountIds: readonly string[];
  /** Transfers made by the partner client from user 0's accounts. */
  transferIds: readonly string[];
  /** A `next_cursor` of user 0's first account's history. */
  cursors: readonly string[];
  users: number;
}

interface Operation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: JsonSchema }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'] as const;

const UNDOCUMENTED_PATHS = [
  '/', '/v1', '/v1/', '/v1/unknown', '/V1/ACCOUNTS', '/v1/accounts/', '/v1//accounts', '/v1/accounts/x/y/z', '/v1/transfers/',
  '/v1/accounts?limit=5', '/healthz', '/readyz', '/openapi.json', '/docs', '/docs/', '/docs/index.html', '/docs/../openapi.json',
  '/metrics', '/postman.json', '/favicon.ico', '/%', '/v1/%zz', '/v1/accounts/%2e%2e/transfers', '/.well-known/openid-configuration',
  '/v1/transfers?__proto__[x]=1', `/${'a'.repeat(4_000)}`, '/v1/accounts/*', '/v1/accounts/acc_00000000000000000000000000000000/balance/',
];

/** Builds the request arbitrary for the whole API. */
export function resourceRequests(document: OpenApiDocument, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const hints = hintsFor(context);
  const operations: Array<fc.WeightedArbitrary<FuzzRequest>> = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      // Operations that take a body (the transfer) have the most to get wrong: three times the share.
      operations.push({ weight: operation.requestBody === undefined ? 1 : 3, arbitrary: operationRequest(template, method.toUpperCase(), operation, document, hints, context) });
    }
  }
  return fc.oneof(
    { weight: 9, arbitrary: fc.oneof(...operations) },
    { weight: 1, arbitrary: undocumentedRequest(context) },
  );
}

function hintsFor(context: FuzzContext): Hints {
  const account = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...context.ownAccountIds) },
    { weight: 1, arbitrary: fc.constantFrom(...context.otherAccountIds) },
  );
  return {
    account_id: account,
    source_account_id: account,
    destination_account_id: account,
    transfer_id: fc.constantFrom(...context.transferIds),
    amount: fc.integer({ min: 1, max: 2_000 }).map((cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`),
    currency: fc.oneof({ weight: 8, arbitrary: fc.constant('CNY') }, { weight: 1, arbitrary: fc.constantFrom('EUR', 'JPY', 'KWD', 'XXX', 'cny') }),
    description: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 140 })),
    limit: fc.integer({ min: 1, max: 100 }),
    cursor: fc.constantFrom(...context.cursors),
    from: dateTime,
    to: dateTime,
  };
}

/** A body as the wire carries it: the object as JSON, a near-valid object, or something broken. */
function bodyFor(schema: JsonSchema, document: OpenApiDocument, hints: Hints): fc.Arbitrary<{ how: string; body: string | Buffer }> {
  const valid = schemaArbitrary(schema, document, hints) as fc.Arbitrary<Record<string, unknown>>;
  const nearValid = fc.tuple(valid, fc.constantFrom('drop', 'extra', 'replace', 'wrap'), fc.nat(), hostileValue, fc.string({ maxLength: 12 }))
    .map(([object, mutation, pick, value, extraKey]) => {
      const keys = Object.keys(object);
      const key = keys[pick % Math.max(keys.length, 1)] ?? 'amount';
      const changed: unknown = mutation === 'drop' ? Object.fromEntries(Object.entries(object).filter(([name]) => name !== key))
        : mutation === 'extra' ? { ...object, [extraKey || '__proto__']: value }
          : mutation === 'replace' ? { ...object, [key]: value }
            : [object];
      return { how: `near-valid body (${mutation} ${key})`, body: JSON.stringify(changed) ?? 'null' };
    });
  return fc.oneof(
    { weight: 5, arbitrary: valid.map((object) => ({ how: 'schema-valid body', body: JSON.stringify(object) })) },
    { weight: 4, arbitrary: nearValid },
    { weight: 2, arbitrary: brokenBody.map((body) => ({ how: 'broken body', body })) },
  );
}

function operationRequest(template: string, method: string, operation: Operation, document: OpenApiDocument, hints: Hints, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const parameters = operation.parameters ?? [];
  const pathParameters = parameters.filter((parameter) => parameter.in === 'path');
  const queryParameters = parameters.filter((parameter) => parameter.in === 'query');
  const headerParameters = parameters.filter((parameter) => parameter.in === 'header');
  const bodySchema = operation.requestBody?.content['application/json']?.schema;

  const pathValues = fc.tuple(...pathParameters.map((parameter) => fc.oneof(
    { weight: 6, arbitrary: schemaArbitrary(parameter.schema, document, hints, parameter.name).map((value) => percentEncode(String(value))) },
    { weight: 2, arbitrary: hostileSegment },
  )));
  const query = queryParameters.length === 0 ? fc.constant('') : queryString(queryParameters, document, hints);
  const idempotencyKey = headerParameters.some((parameter) => parameter.name.toLowerCase() === 'idempotency-key') ? idempotencyKeyHeader : fc.constant(undefined);
  const body = bodySchema === undefined
    ? sometimes(brokenBody.map((raw) => ({ how: 'unexpected body', body: raw })), 10)
    : fc.oneof({ weight: 19, arbitrary: bodyFor(bodySchema, document, hints) }, { weight: 1, arbitrary: fc.constant(null) });

  return fc.record({
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) }),
    pathValues, query, idempotencyKey, body,
    contentType: bodySchema === undefined ? sometimes(contentType, 10) : contentType,
    extraHeaders: extraHeaders,
    credentials: credentials(context),
    pathVariant: fc.constantFrom('', '', '', '', '', '', '', '', '/', '//'),
  }).map((parts) => {
    let path = template;
    pathParameters.forEach((parameter, index) => { path = path.replace(`{${parameter.name}}`, parts.pathValues[index] as string); });
    if (parts.pathVariant === '/') path = `${path}/`;
    if (parts.pathVariant === '//') path = path.replace('/v1/', '/v1//');
    const headers: Record<string, string | string[]> = { ...parts.extraHeaders };
    if (parts.idempotencyKey !== undefined) headers['idempotency-key'] = parts.idempotencyKey;
    if (parts.contentType !== undefined && parts.contentType !== null) headers['content-type'] = parts.contentType;
    return {
      label: `${operation.operationId}: ${parts.body === null ? 'no body' : parts.body.how}`,
      method: parts.method,
      path: `${path}${parts.query}`,
      headers,
      credentials: parts.credentials,
      ...(parts.body === null ? {} : { body: parts.body.body }),
    };
  });
}

/** `?name=value&…` from the query parameters' schemas, with out-of-range, hostile, unknown and repeated ones. */
function queryString(parameters: NonNullable<Operation['parameters']>, document: OpenApiDocument, hints: Hints): fc.Arbitrary<string> {
  const value = (parameter: NonNullable<Operation['parameters']>[number]): fc.Arbitrary<string> => fc.oneof(
    { weight: 5, arbitrary: schemaArbitrary(parameter.schema, document, hints, parameter.name).map((item) => percentEncode(String(item))) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constantFrom(0, -1, 101, 1e21, 1.5)).map(String) },
    { weight: 1, arbitrary: hostileString.map(percentEncode) },
    { weight: 1, arbitrary: rawEncoded },
    { weight: 1, arbitrary: dateTime },
  );
  const pairs = fc.tuple(
    ...parameters.map((parameter) => sometimes(value(parameter).map((item) => `${parameter.name}=${item}`), parameter.name === 'cursor' ? 4 : 2)),
    sometimes(fc.constantFrom('unknown=1', 'limit=1&limit=2', 'limit[]=1', 'limit[a]=1', 'cursor=', 'from', '=1', '&&', 'access_token=abc', '__proto__=x'), 8),
  ).map((items) => items.filter((item): item is string => item !== null));
  return pairs.map((items) => (items.length === 0 ? '' : `?${items.join('&')}`));
}

/** The `Idempotency-Key` header: a fresh valid key most of the time, else missing, repeated, empty, too long or odd. */
const idempotencyKeyHeader: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[!-~]{8,40}$/) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[!-~]{1,20}$/), fc.stringMatching(/^[!-~]{1,20}$/)).map(([a, b]) => [a, b]) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a b', 'x'.repeat(256), 'k'.repeat(255), '\u00e9t\u00e9', 'a,b') },
  { weight: 1, arbitrary: headerValue },
);

/** Headers that a careful server ignores or refuses cleanly; each one on a few requests only. */
const extraHeaders: fc.Arbitrary<Record<string, string | string[]>> = fc.record({
  accept: sometimes(fc.constantFrom('application/json', '*/*', 'application/xml', 'text/html;q=0', 'garbage'), 4),
  'x-fapi-interaction-id': sometimes(fc.oneof(fc.uuid(), headerValue), 3),
  'content-encoding': sometimes(contentEncoding, 30),
  'x-forwarded-for': sometimes(fc.constantFrom('1.2.3.4', 'unknown', '::1, 10.0.0.1', 'x'.repeat(500)), 20),
  'x-pad': sometimes(fc.constantFrom('x'.repeat(17_000), 'y'.repeat(70_000)), 100),
  'x-many': sometimes(fc.array(headerValue, { minLength: 2, maxLength: 50 }), 20),
  cookie: sometimes(fc.constantFrom('a=b', `session=${'c'.repeat(3_000)}`, ';;;=;'), 20),
  'transfer-encoding': sometimes(fc.constant('chunked'), 20),
}).map((headers) => {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== null) kept[name] = value;
  return kept;
});

function credentials(context: FuzzContext): fc.Arbitrary<Credentials> {
  return fc.oneof(
    {
      weight: 24,
      arbitrary: fc.record({
        kind: fc.constant('token' as const),
        owner: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: context.users - 1 }) }),
        scheme: fc.oneof({ weight: 12, arbitrary: fc.constant('Bearer') }, { weight: 1, arbitrary: fc.constantFrom('bearer', 'BEARER', 'DPoP') }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('tampered' as const), owner: fc.constant(0) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom('Bearer', 'Bearer ', 'Bearer  ', 'Basic dXNlcjpwYXNz', 'Basic', 'Digest username="a"', 'Token abc', 'Bearer a b', 'Bearer ===',
          'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'Bearer a.b.c', 'Bearer ....', `Bearer ${'A'.repeat(9_000)}`, 'Bearer \u00ff\u00fe', 'DPoP',
          'Negotiate YII=', 'bearer,bearer', ''),
        headerValue.map((value) => `Bearer ${value}`),
        fc.tuple(headerValue, headerValue).map(([a, b]) => [`Bearer ${a}`, `Bearer ${b}`]),
      ).map((value) => ({ kind: 'raw' as const, value })),
    },
  );
}

function undocumentedRequest(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    method: fc.constantFrom(...OTHER_METHODS),
    path: fc.oneof(fc.constantFrom(...UNDOCUMENTED_PATHS), hostileSegment.map((segment) => `/v1/${segment}`), hostileSegment.map((segment) => `/${segment}`)),
    credentials: credentials(context),
    headers: extraHeaders,
    body: sometimes(brokenBody, 3),
  }).map((parts) => ({
    label: 'undocumented path',
    method: parts.method,
    path: parts.path,
    headers: parts.headers,
    credentials: parts.credentials,
    ...(parts.body === null ? {} : { body: parts.body }),
  }));
}
