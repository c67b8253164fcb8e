import { readWebhooksAllowPrivateNetworks, readWebhookSecretsKey } from '@payapi/events';
import {
  ConfigError, readLogLevel, readPayapiEnvironment, readListenAddress, readPort, readRedisSettings, readSecurityProfile, readServiceUrl, readTrustProxyHops,
  resolveDatabaseUrl,
} from '@payapi/platform';
import type { DatabaseSource, LogLevel, PayapiEnvironment, RedisSettings, SecurityProfile } from '@payapi/platform';
import { readMetricsSettings } from './observability/metrics-settings.ts';
import type { MetricsSettings } from './observability/metrics-settings.ts';
import { readRateLimitSettings } from './rate-limit/settings.ts';
import type { RateLimitSettings } from './rate-limit/settings.ts';
import { readRequestLogSettings } from './request-log/settings.ts';
import { readTransferBatchSettings } from './routes/transfer-batches.ts';
import type { TransferBatchSettings } from './routes/transfer-batches.ts';
import type { RequestLogSettings } from './request-log/settings.ts';

/** How revocations are noticed on each call: see {@link ResourceApiConfig.revocationCheck}. */
export type RevocationCheckMode = 'notices' | 'database' | 'none';

/** The resource API's configuration, read and checked once at start, so nothing deeper reads the environment. */
export interface ResourceApiConfig {
  /** `RESOURCE_API_URL`: public base URL, resource indicator (RFC 8707) and required JWT `aud` (default `http://localhost:4001`). */
  publicUrl: string;
  /** `AUTH_ISSUER`: exact `iss` of access tokens; the JWKS is read from `${issuer}/jwks` (default `http://localhost:4000`). */
  issuer: string;
  /** `PORT`: TCP port to listen on (default: the public URL's port, else 4001). */
  port: number;
  /** `LISTEN_ADDRESS`: the IP address to listen on (`readListenAddress`; undefined: every interface). */
  listenAddress: string | undefined;
  /** `LOG_LEVEL`: pino level (default `info`), read by `readLogLevel` as in every service. */
  logLevel: LogLevel;
  /** `NODE_ENV=production`: no demo defaults. */
  production: boolean;
  database: DatabaseSource;
  /** `CORS_ORIGINS`: comma-separated origins allowed to call the API from a browser; empty = CORS closed. */
  corsOrigins: string[];
  /** Limits of the JWKS fetch (jose `createRemoteJWKSet`), milliseconds. */
  jwks: {
    /** Abort a JWKS request after this long. */
    timeoutMs: number;
    /** After a fetch, no other fetch for this long, even for unknown `kid`s (a flood of random `kid`s costs one fetch per cooldown). */
    cooldownMs: number;
    /** Refetch the JWKS when it is older than this, even if every `kid` is known. */
    cacheMaxAgeMs: number;
  };
  /** Allowed clock skew on `exp`, `nbf` and `iat`, seconds (at most 30: docs/resource-api.md, "Tokens"). */
  clockToleranceSeconds: number;
  /** DPoP proofs (RFC 9449 §11.1): accepted up to this many seconds after their `iat`; their `jti`s are remembered as long (60). */
  dpopProofAgeMaxSeconds: number;
  /** DPoP proofs whose `iat` is further ahead of this server's clock are refused (5 s). */
  dpopProofFutureSkewSeconds: number;
  /** Request bodies larger than this are refused with 413 (64 KiB). */
  bodyLimitBytes: number;
  /** `PAYAPI_ENVIRONMENT` (`readPayapiEnvironment`): the `environment` of every event served. */
  environment: PayapiEnvironment;
  /** Webhook endpoints (docs/webhooks.md). */
  webhooks: {
    /** `WEBHOOK_SECRETS_KEY`: seals endpoint secrets at rest; the delivery worker must be given the same. */
    secretsKey: string;
    /** `WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true`: endpoints may be on loopback or private addresses, over http too. */
    allowPrivateNetworks: boolean;
  };
  /** `REQUEST_LOG` and the request log's limits (docs/resource-api.md, "Request log"). */
  requestLog: RequestLogSettings;
  /**
   * `SECURITY_PROFILE` (`readSecurityProfile`: `default` or `fapi2`): with `fapi2`, only DPoP-bound
   * access tokens are accepted, sent with the DPoP scheme (FAPI 2.0; docs/security.md).
   */
  securityProfile: SecurityProfile;
  /**
   * `REVOCATION_CHECK` (docs/resource-api.md, "Revocation at once"): `notices` (default: revoked
   * grants and consents kept in memory from LISTEN/NOTIFY, the database while not listening),
   * `database` (a database question on every call), or `none` (only payments and transfers check;
   * reads of a revoked grant work until the token expires: the behaviour before, for measurement
   * only; a warning at start).
   */
  revocationCheck: RevocationCheckMode;
  /**
   * `REDIS_URL` and `REDIS_KEY_PREFIX` (`readRedisSettings`): where DPoP proof uses and rate-limit
   * counters are shared with the other instances; undefined (demo mode only, with a warning):
   * this process's memory.
   */
  redis: RedisSettings | undefined;
  /** `RATE_LIMIT_PER_MINUTE`, `RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE` (docs/resource-api.md, "Rate limits"). */
  rateLimits: RateLimitSettings;
  /** `METRICS_PORT`, `METRICS_HOST`: where `/metrics` is served (docs/operations.md, "Metrics"). */
  metrics: MetricsSettings;
  /**
   * `TRUST_PROXY_HOPS` (`readTrustProxyHops`): reverse proxies in front that append to
   * `X-Forwarded-For`; the client address of the per-address rate limit is read that many hops
   * from the right (0: the socket's address).
   */
  trustProxyHops: number;
  /** `TRANSFER_BATCH_MAX`, `TRANSFER_BATCHES_IN_FLIGHT`: group commit of transfers (docs/resource-api.md, "Transfers are booked in batches"). */
  transferBatches: TransferBatchSettings;
  /** Demo defaults and risky settings in use, one line each, to print at start. */
  warnings: string[];
}

/**
 * Reads the environment into a {@link ResourceApiConfig}.
 *
 * @param env usually `process.env`; reads `RESOURCE_API_URL`, `AUTH_ISSUER`, `PORT`, `LOG_LEVEL`,
 *   `NODE_ENV`, `DATABASE_URL`, `CORS_ORIGINS`, `PAYAPI_ENVIRONMENT`, `WEBHOOK_SECRETS_KEY`,
 *   `WEBHOOKS_ALLOW_PRIVATE_NETWORKS`, `REQUEST_LOG`, `SECURITY_PROFILE`, `REVOCATION_CHECK`,
 *   `REDIS_URL`, `REDIS_KEY_PREFIX`, `RATE_LIMIT_PER_MINUTE`, `RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE`,
 *   `METRICS_PORT`, `METRICS_HOST`, `TRUST_PROXY_HOPS`, `TRANSFER_BATCH_MAX`, `TRANSFER_BATCHES_IN_FLIGHT`
 * @throws {ConfigError} naming the variable: malformed URLs or port, unknown log level or
 *   environment, a short `WEBHOOK_SECRETS_KEY`, a `WEBHOOKS_ALLOW_PRIVATE_NETWORKS` other than
 *   true or false, a `REQUEST_LOG` other than on or off, a `SECURITY_PROFILE` other than default
 *   or fapi2, a `REVOCATION_CHECK` other than notices, database or none, a malformed `REDIS_URL`
 *   or `REDIS_KEY_PREFIX`, a rate limit that is not an integer from 1 to 100,000,000, a
 *   `METRICS_PORT` that is not a port or is `PORT`, a `METRICS_HOST` that is not a host name or
 *   address, a `TRUST_PROXY_HOPS` outside 0 to 10, a `TRANSFER_BATCH_MAX` outside 1 to 256 or
 *   `TRANSFER_BATCHES_IN_FLIGHT` outside 1 to 8; with `NODE_ENV=production`, a missing
 *   `DATABASE_URL`, `REDIS_URL` or `WEBHOOK_SECRETS_KEY`, the demo key, `PAYAPI_ENVIRONMENT=sandbox`,
 *   or a plain-http URL other than localhost
 */
export function loadResourceApiConfig(env: Readonly<Record<string, string | undefined>>): ResourceApiConfig {
  const production = env.NODE_ENV === 'production';
  const warnings: string[] = [];
  const publicUrl = readServiceUrl('RESOURCE_API_URL', env.RESOURCE_API_URL ?? 'http://localhost:4001', { requireHttps: production });
  const issuer = readServiceUrl('AUTH_ISSUER', env.AUTH_ISSUER ?? 'http://localhost:4000', { requireHttps: production });
  const logLevel = readLogLevel(env.LOG_LEVEL);
  const corsOrigins = (env.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean)
    .map((origin) => new URL(readServiceUrl('CORS_ORIGINS', origin, { requireHttps: production })).origin);
  const port = readPort(env.PORT, publicUrl, 4001);
  const environment = readPayapiEnvironment(env);
  const database = resolveDatabaseUrl(env);
  const redis = readRedisSettings(env);
  if (!redis) {
    warnings.push('REDIS_URL is unset: rate limits are counted in this process only and DPoP proofs are remembered in this process only (one instance; production refuses this)');
  }
  return {
    publicUrl,
    issuer,
    port,
    listenAddress: readListenAddress(env.LISTEN_ADDRESS),
    logLevel,
    production,
    database,
    corsOrigins,
    jwks: { timeoutMs: 3_000, cooldownMs: 5_000, cacheMaxAgeMs: 10 * 60_000 },
    clockToleranceSeconds: 30,
    dpopProofAgeMaxSeconds: 60,
    dpopProofFutureSkewSeconds: 5,
    bodyLimitBytes: 64 * 1024,
    environment,
    webhooks: {
      secretsKey: readWebhookSecretsKey(env, warnings),
      allowPrivateNetworks: readWebhooksAllowPrivateNetworks(env, warnings),
    },
    requestLog: readRequestLogSettings(env),
    securityProfile: readSecurityProfile(env),
    revocationCheck: readRevocationCheck(env.REVOCATION_CHECK, production, warnings),
    redis,
    rateLimits: readRateLimitSettings(env, environment),
    metrics: readMetricsSettings(env, port, warnings),
    trustProxyHops: readTrustProxyHops(env),
    transferBatches: readTransferBatchSettings(env),
    warnings,
  };
}

/** `REVOCATION_CHECK`; `none` is allowed with a warning (the benchmark measures production processes with it). */
function readRevocationCheck(value: string | undefined, production: boolean, warnings: string[]): RevocationCheckMode {
  const mode = value ?? 'notices';
  if (mode !== 'notices' && mode !== 'database' && mode !== 'none') {
    throw new ConfigError('REVOCATION_CHECK', 'must be notices, database or none');
  }
  if (mode === 'none') {
    warnings.push(`REVOCATION_CHECK=none${production ? ' in production' : ''}: reads of a revoked grant keep working until the token expires (for measurement only)`);
  }
  return mode;
}
