import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import helmet from 'helmet';
import type { Knex } from 'knex';
import { createSecretBox } from '@payapi/events';
import type { UrlPolicy } from '@payapi/events';
import { createLogger, interactionId, requestLogger } from '@payapi/platform';
import type { Redis } from '@payapi/platform';
import type { DestinationStream, Logger } from 'pino';
import { createAccessTokenVerifier } from './auth/access-token.ts';
import { createAuthentication } from './auth/authenticate.ts';
import { dpopOnlyChallenge, withResourceMetadata } from './auth/challenge.ts';
import { createDpopProofVerifier } from './auth/dpop-proof.ts';
import { createMemoryDpopReplayStore } from './auth/dpop-replay-store.ts';
import type { DpopReplayStore } from './auth/dpop-replay-store.ts';
import { createRedisDpopReplayStore } from './auth/dpop-replay-store-redis.ts';
import { NO_REVOCATION_CHECK, createDatabaseRevocationCheck } from './auth/revocations.ts';
import type { RevocationCheck } from './auth/revocations.ts';
import { authenticatedClientIdOf } from './auth/request-token.ts';
import type { ResourceApiConfig } from './config.ts';
import { protectedResourceMetadataUrl, protectedResourceRoutes } from './discovery/protected-resource.ts';
import { docsRoutes } from './docs/docs-routes.ts';
import { ApiProblem, problemTypeBase } from './errors/problem.ts';
import { handleErrors } from './errors/send-problem.ts';
import { documentedScopes, openApiDocument } from './openapi/document.ts';
import { documentedPaths, findDocumentedPath } from './openapi/documented-paths.ts';
import { refuseLooseIntegers } from './openapi/strict-integer-query.ts';
import { cors } from './observability/cors.ts';
import { healthRoutes } from './observability/health-routes.ts';
import { createMetrics, recordMetrics } from './observability/metrics.ts';
import type { Metrics } from './observability/metrics.ts';
import { problemPages } from './problems/problem-pages.ts';
import { createRateLimits, limitRate } from './rate-limit/rate-limits.ts';
import type { SharedRateLimitStore } from './rate-limit/rate-limits.ts';
import { accountRoutes } from './routes/accounts.ts';
import { eventRoutes } from './routes/events.ts';
import { paymentRoutes } from './routes/payments.ts';
import { createTransferBooker } from './routes/transfer-batches.ts';
import { transferRoutes } from './routes/transfers.ts';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.ts';
import { refuseDuplicateKeys } from './request/duplicate-keys.ts';
import { recordRequests } from './request-log/record-requests.ts';
import { createRequestLog } from './request-log/request-log.ts';
import type { RequestLog } from './request-log/request-log.ts';
import { requireUtf8 } from './request/require-utf8.ts';

/** Options for tests and embedding; production needs none. */
export interface ResourceApiOptions {
  /** The service's logger (default: `createLogger('resource-api', config.logLevel, logDestination)`). */
  logger?: Logger;
  /** Where log lines go when no `logger` is given (default stdout). */
  logDestination?: DestinationStream;
  /**
   * Turns on response validation against the OpenAPI document and reports each mismatch here
   * (the answer is still sent). Tests collect these and expect none.
   */
  onResponseValidationError?: (error: Error, body: unknown, req: Request) => void;
  /**
   * Where DPoP proof uses are remembered (default: on `redis` when given, else this process's
   * memory; both with per-key, per-user and per-client quotas).
   */
  dpopReplayStore?: DpopReplayStore;
  /**
   * The Redis client (`openRedis` of `config.redis`) holding what every instance shares: DPoP
   * proof uses and rate-limit counters, under `config.redis.keyPrefix`. Required when
   * `config.redis` is set (the caller opens it, waits for it and closes it at shutdown); absent
   * with `config.redis` unset (demo mode: this process's memory).
   */
  redis?: Redis;
  /**
   * The app's metrics registry (default: a new one). Give one to serve it on the metrics port too
   * (`startMetricsServer`), as main.ts does when `config.metrics.port` is set.
   */
  metrics?: Metrics;
  /**
   * Where webhook endpoints may point (default: `config.webhooks.allowPrivateNetworks` and the
   * system resolver); tests give a resolver of their own.
   */
  webhookUrlPolicy?: UrlPolicy;
  /**
   * Where each `/v1` call is recorded (docs/resource-api.md, "Request log"); `null`: nowhere.
   * Default: with `config.requestLog.enabled`, a request log of the app's own on `db` (its timers
   * do not keep the process alive, but nobody flushes it at shutdown: give one and `close()` it
   * to keep the last half second, as main.ts does); else none.
   */
  requestLog?: RequestLog | null;
  /**
   * How revoked grants and payment consents are noticed (docs/resource-api.md, "Revocation at once").
   * Default: a database question on every `/v1` call (none with `REVOCATION_CHECK=none`). Deployments
   * give a `createRevocationWatch` (notifications, memory lookups; main.ts and `pnpm start` do with
   * `REVOCATION_CHECK=notices`, the default) and close it at shutdown.
   */
  revocations?: RevocationCheck;
}

/**
 * Builds the resource API (docs/resource-api.md): an Express app, not yet listening.
 *
 * Order: interaction id, the `/v1` calls' request log (rows in `api.request_log`, recorded once
 * answered), the log lines (the shared logger of `@payapi/platform`, naming the token's client
 * once authenticated), metrics, helmet, CORS; public routes (`/healthz`,
 * `/readyz`, `/metrics` unless it has a port of its own, `/openapi.json`, `/docs`, `/postman.json`, the RFC 9728 metadata at
 * `/.well-known/oauth-protected-resource`, the error code pages `/problems/{code}`); then for `/v1` the access
 * token (401 first) and the rate limit (per client, or per address without a valid token: the
 * `RateLimit-Policy` and `RateLimit` fields on every answer, 429 past the quota; docs/resource-api.md,
 * "Rate limits"); then integer query parameters as plain decimals only, a JSON body parser
 * (64 KiB, a member name twice in one object refused) and express-openapi-validator (unknown path
 * 404, wrong method 405, wrong content type 415, shapes 400) before the `/v1` routes, whose first
 * step claims the DPoP proof; last, problem+json for every error, its `type` the page of its code
 * and its challenges naming the resource metadata (RFC 9728 §5.1).
 *
 * @param config see `loadResourceApiConfig`
 * @param db knex on the shared PostgreSQL with schemas `ledger`, `auth` and `api` migrated
 * @throws {Error} when `config.redis` and `options.redis` disagree (one given without the other): a wiring bug
 */
export function createResourceApi(config: ResourceApiConfig, db: Knex, options: ResourceApiOptions = {}): Express {
  const document = openApiDocument({ publicUrl: config.publicUrl, issuer: config.issuer, environment: config.environment });
  const logger = options.logger ?? createLogger('resource-api', config.logLevel, options.logDestination);
  const metrics = options.metrics ?? createMetrics();
  const shared = sharedStore(config, options.redis);
  const rateLimits = createRateLimits(config.rateLimits, shared);
  const requestLog = options.requestLog !== undefined ? options.requestLog
    : config.requestLog.enabled ? createRequestLog(db, config.requestLog, logger) : null;
  for (const metric of requestLog?.metrics ?? []) metrics.registry.registerMetric(metric);
  const verifyToken = createAccessTokenVerifier({
    issuer: config.issuer, audience: config.publicUrl, clockToleranceSeconds: config.clockToleranceSeconds, jwks: config.jwks,
  });
  const verifyProof = createDpopProofVerifier({
    publicUrl: config.publicUrl, ageMaxSeconds: config.dpopProofAgeMaxSeconds, futureSkewSeconds: config.dpopProofFutureSkewSeconds,
  });
  const { checkCredentials, authenticate } = createAuthentication({
    verifyToken, verifyProof,
    replayStore: options.dpopReplayStore ?? (shared ? createRedisDpopReplayStore(shared.redis, { keyPrefix: shared.keyPrefix, logger }) : createMemoryDpopReplayStore()),
    revocations: options.revocations ?? (config.revocationCheck === 'none' ? NO_REVOCATION_CHECK : createDatabaseRevocationCheck(db)),
    requireDpop: config.securityProfile === 'fapi2',
  });
  const webhooks = {
    secrets: createSecretBox(config.webhooks.secretsKey),
    urlPolicy: options.webhookUrlPolicy ?? { allowPrivateNetworks: config.webhooks.allowPrivateNetworks },
  };

  const app = express();
  app.disable('x-powered-by');
  // The client address (per-address rate limit) is read TRUST_PROXY_HOPS hops from the right of X-Forwarded-For.
  app.set('trust proxy', config.trustProxyHops > 0 ? config.trustProxyHops : false);
  app.set('query parser', 'simple');
  app.use(interactionId);
  if (requestLog) app.use(recordRequests(requestLog));
  app.use(requestLogger(logger, { clientIdOf: authenticatedClientIdOf }), recordMetrics(metrics));
  app.use(helmet({
    contentSecurityPolicy: {
      directives: {
        'connect-src': ["'self'", config.issuer],
        'frame-ancestors': ["'none'"],
        // Over plain http (local demo) upgrading would point the docs' assets at an https port nobody serves.
        'upgrade-insecure-requests': config.publicUrl.startsWith('https:') ? [] : null,
      },
    },
    frameguard: { action: 'deny' },
  }));
  app.use(cors(config.corsOrigins));
  app.use(healthRoutes(db, metrics, config.metrics.port === null));
  app.use(docsRoutes(document, { issuer: config.issuer }));
  app.use(protectedResourceRoutes({
    publicUrl: config.publicUrl, issuer: config.issuer, securityProfile: config.securityProfile, scopes: documentedScopes(document),
  }));
  app.use(problemPages(config.publicUrl.startsWith('https:')));

  // On the documented paths, authentication comes before anything reads the request: a call
  // without a usable token is 401 (RFC 6750 §3.1), whatever else is wrong with it. Unknown paths
  // stay 404 for everyone.
  const documented = documentedPaths(document);
  app.use('/v1', limitRate(rateLimits, async (req) => {
    // The path as Express routes it (also for an absolute-form request target, `GET http://host/v1/…`).
    if (findDocumentedPath(documented, `${req.baseUrl}${req.path}`)) await checkCredentials(req);
  }, authenticatedClientIdOf));
  app.use(refuseLooseIntegers(documented));
  app.use(requireUtf8);
  app.use(express.json({ limit: config.bodyLimitBytes, strict: true, type: 'application/json', verify: refuseDuplicateKeys }));
  app.use(OpenApiValidator.middleware({
    apiSpec: document as never,
    // No coercion of bodies: a JSON number is not an amount. (Path and query parameters are always coerced.)
    validateRequests: { allowUnknownQueryParameters: false, coerceTypes: false },
    validateResponses: options.onResponseValidationError ? { onError: options.onResponseValidationError } : false,
    validateSecurity: false,
    validateApiSpec: true,
    ignoreUndocumented: false,
    validateFormats: true,
    ajvFormats: { mode: 'full' },
  }));
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(accountRoutes(db, authenticate));
  app.use(transferRoutes(db, authenticate, createTransferBooker(db, config.transferBatches, metrics.transferBatchSize)));
  app.use(paymentRoutes(db, authenticate));
  app.use(webhookEndpointRoutes(db, authenticate, webhooks));
  app.use(eventRoutes(db, authenticate, config.environment));
  app.use(() => {
    throw new ApiProblem(404, 'not_found', 'no such resource');
  });
  // FAPI 2.0 (SECURITY_PROFILE=fapi2): every challenge names DPoP only, never Bearer.
  if (config.securityProfile === 'fapi2') {
    app.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => next(error instanceof ApiProblem ? dpopOnlyChallenge(error) : error));
  }
  // Every challenge names where the resource's metadata is (RFC 9728 §5.1).
  const metadataUrl = protectedResourceMetadataUrl(config.publicUrl);
  app.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => next(error instanceof ApiProblem ? withResourceMetadata(error, metadataUrl) : error));
  app.use(handleErrors(problemTypeBase(config.publicUrl)));
  return app;
}

/**
 * The store shared with the other instances: `redis` under `config.redis.keyPrefix`, or null
 * (this process's memory) when neither is given.
 *
 * @throws {Error} when only one of them is given: REDIS_URL configured but no client opened, or a
 *   client given without the settings it should use
 */
function sharedStore(config: ResourceApiConfig, redis: Redis | undefined): SharedRateLimitStore | null {
  if (config.redis && redis) return { redis, keyPrefix: config.redis.keyPrefix };
  if (!config.redis && !redis) return null;
  throw new Error(config.redis
    ? 'wiring: REDIS_URL is configured, so createResourceApi needs the client of openRedis (options.redis)'
    : 'wiring: options.redis was given without config.redis (REDIS_URL and its key prefix)');
}
