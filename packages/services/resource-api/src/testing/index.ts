/**
 * Test harness: the real authorization server (in-process, ephemeral port, own database with
 * schemas `ledger` and `auth`) and this API on another ephemeral port over the same database, with
 * its schema `api` migrated there and a connection pool of its own (as when deployed), so tests use
 * real signed tokens from the real code flow and can see which statements the API sends. Test-only:
 * the API itself never imports the authorization server.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Request } from 'express';
import type { Knex } from 'knex';
import * as client from 'openid-client';
import type { CreatedClient } from '@payapi/auth-server';
import { authorize, discover, exchange, seedClient, seedUser, startTestAuthServer } from '@payapi/auth-server/testing';
import type { Alice, TestAuthServer } from '@payapi/auth-server/testing';
import { createDatabase, createLogger } from '@payapi/platform';
import { createResourceApi } from '../app.ts';
import { createRevocationWatch } from '../auth/revocations.ts';
import type { RevocationWatch } from '../auth/revocations.ts';
import type { ResourceApiOptions } from '../app.ts';
import { loadResourceApiConfig } from '../config.ts';
import type { ResourceApiConfig } from '../config.ts';
import { migrateResourceApi } from '../migrations.ts';
import { createRequestLog } from '../request-log/request-log.ts';
import type { RequestLog } from '../request-log/request-log.ts';

export { ALL_SCOPES, authorize, discover, exchange, seedClient, seedUser } from '@payapi/auth-server/testing';
export type { Alice, TestAuthServer } from '@payapi/auth-server/testing';

/** Seals the test authorization server's signing keys; tests unseal them to forge tokens with a trusted key. */
export const TEST_KEY_ENCRYPTION_SECRET = 'resource-api-tests-key-encryption-secret-0123456789';

/** The API and its authorization server, plus what the API reported while the tests ran. */
export interface TestApi {
  url: string;
  auth: TestAuthServer;
  config: ResourceApiConfig;
  /** The API's own pool on the test database (`auth.database.db` is the authorization server's). */
  db: Knex;
  /** Mismatches between answers and /openapi.json (express-openapi-validator's response check). */
  responseErrors: string[];
  /** Every log line, as written. */
  logs: string[];
  /** Where `/v1` calls are recorded (on `db` unless the test gave its own); null with `requestLog.enabled` false. */
  requestLog: RequestLog | null;
  /** How the API notices revocations: a watch listening on its own connection, as deployed (listening once started). */
  revocations: RevocationWatch;
  /** Closes the request log (flushing it), then the servers and pools. */
  close(): Promise<void>;
}

/**
 * Starts both servers; `configure` may change the API's configuration (e.g. JWKS limits or the
 * request log's), `options` adds to the app's options (e.g. a DPoP replay store with small quotas,
 * a request log writing elsewhere), `env` goes to both servers' configuration (`SECURITY_PROFILE`). Unless given, the request log writes to the API's pool with
 * `config.requestLog`'s settings.
 */
export async function startTestApi(
  configure: (config: ResourceApiConfig) => ResourceApiConfig = (config) => config,
  options: Pick<ResourceApiOptions, 'dpopReplayStore' | 'webhookUrlPolicy' | 'requestLog'> = {},
  env: { SECURITY_PROFILE?: 'default' | 'fapi2' } = {},
): Promise<TestApi> {
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const auth = await startTestAuthServer({ RESOURCE_API_URL: url, AUTH_KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET, ...env });
  await migrateResourceApi(auth.database.db);
  const db = createDatabase({ url: auth.database.url, applicationName: 'payapi-resource-test' });
  const config = configure(loadResourceApiConfig({ RESOURCE_API_URL: url, AUTH_ISSUER: auth.issuer, DATABASE_URL: auth.database.url, LOG_LEVEL: 'info', ...env }));
  const responseErrors: string[] = [];
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger('resource-api', config.logLevel, logDestination);
  const requestLog = options.requestLog !== undefined ? options.requestLog
    : config.requestLog.enabled ? createRequestLog(db, config.requestLog, logger) : null;
  const revocations = createRevocationWatch(db, { logger, clockToleranceSeconds: config.clockToleranceSeconds });
  if (!(await revocations.ready(10_000))) throw new Error('the revocation watch did not start listening within 10 s');
  const app = createResourceApi(config, db, {
    ...options,
    logger,
    requestLog,
    revocations,
    onResponseValidationError: (error: Error, _body: unknown, req: Request) => {
      responseErrors.push(`${req.method} ${req.originalUrl}: ${error.message}`);
    },
  });
  http.on('request', app);
  return {
    url,
    auth,
    config,
    db,
    responseErrors,
    logs,
    requestLog,
    revocations,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await requestLog?.close();
      await revocations.close();
      await db.destroy();
      await auth.close();
    },
  };
}

/** A user who connected a partner app: the tokens of one finished code flow. */
export interface Connection {
  accessToken: string;
  idToken: string | undefined;
  refreshToken: string | undefined;
  clientConfig: client.Configuration;
  registered: CreatedClient;
}

/**
 * Runs the real code flow (login, consent with `accountIds` ticked, code exchange) for `user`
 * with a new client, and returns the tokens.
 */
export async function connect(
  api: TestApi,
  user: Alice,
  options: { scope?: string; accountIds?: string[] } = {},
): Promise<Connection> {
  const registered = await seedClient(api.auth);
  const clientConfig = await discover(api.auth, registered);
  const flow = await authorize(api.auth, clientConfig, user, {
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.accountIds ? { accountIds: options.accountIds } : {}),
  });
  const tokens = await exchange(clientConfig, flow);
  return { accessToken: tokens.access_token, idToken: tokens.id_token, refreshToken: tokens.refresh_token, clientConfig, registered };
}

/** A client acting for itself: its registration, its openid-client configuration and a client-credentials access token. */
export interface ClientSession {
  accessToken: string;
  clientConfig: client.Configuration;
  registered: CreatedClient;
}

/**
 * Registers a new confidential client with `registeredScope` (default: every scope) and gets a
 * client-credentials token (RFC 6749 §4.4) for `scope` (default `webhooks:manage`).
 */
export async function connectClient(api: TestApi, options: { scope?: string; registeredScope?: string } = {}): Promise<ClientSession> {
  const registered = await seedClient(api.auth, options.registeredScope ? { scope: options.registeredScope } : {});
  const clientConfig = await discover(api.auth, registered);
  const tokens = await client.clientCredentialsGrant(clientConfig, { scope: options.scope ?? 'webhooks:manage' });
  return { accessToken: tokens.access_token, clientConfig, registered };
}

/** An answer of the API, body parsed when JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  // Tests read fields of arbitrary JSON answers; `any` is confined to this test helper.
  body: any;
}

/**
 * Calls the API. `json` is sent as a JSON body; `rawBody` as it is (with `content-type` from
 * `headers`, default application/json).
 */
export async function call(
  api: TestApi,
  method: string,
  path: string,
  options: { token?: string; scheme?: string; json?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `${options.scheme ?? 'Bearer'} ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (options.rawBody !== undefined) body = options.rawBody;
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${api.url}${path}`, { method, headers, body });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, body: /json/.test(type) && text ? JSON.parse(text) : text };
}
