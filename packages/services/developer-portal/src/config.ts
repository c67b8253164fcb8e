import { readWebhooksAllowPrivateNetworks, readWebhookSecretsKey } from '@payapi/events';
import {
  ConfigError, readLogLevel, readPayapiEnvironment, readPort, readServiceUrl, readTrustProxyHops, resolveDatabaseUrl,
} from '@payapi/platform';
import type { DatabaseSource, LogLevel, PayapiEnvironment } from '@payapi/platform';

/** The developer portal's configuration, read and checked once at start (docs/operations.md, "Configuration"). */
export interface DeveloperPortalConfig {
  /** `DEVELOPER_PORTAL_URL`: the portal's public base URL (default `http://localhost:4003`); https in production. */
  publicUrl: string;
  /** `PORT`: TCP port to listen on (default: the public URL's port, else 4003). */
  port: number;
  /** `AUTH_ISSUER`: the authorization server developers send their users to (default `http://localhost:4000`). */
  issuer: string;
  /** `RESOURCE_API_URL`: the API developers call, shown on the app's page (default `http://localhost:4001`). */
  resourceApiUrl: string;
  /** `LOG_LEVEL`: pino level (default `info`), read by `readLogLevel` as in every service. */
  logLevel: LogLevel;
  /** `NODE_ENV=production`: no demo defaults. */
  production: boolean;
  database: DatabaseSource;
  /** `PAYAPI_ENVIRONMENT`: `sandbox` has test users; `live` apps wait for review. */
  environment: PayapiEnvironment;
  /**
   * `DEVELOPER_PORTAL_SESSION_SECRET` (32+ characters): keys the CSRF tokens (HMAC-SHA256) and seals
   * the one-time display of new secrets (AES-256-GCM). Sessions themselves are rows, not signed cookies.
   */
  sessionSecret: string;
  /** Sessions end after this long without a request, seconds (12 h). */
  sessionIdleSeconds: number;
  /**
   * `TRUST_PROXY_HOPS`: reverse proxies in front that append to X-Forwarded-For (default 0). The
   * client address the sign-in throttle counts is taken that many hops from the right.
   */
  trustProxyHops: number;
  /** Webhook endpoints, read as the resource API reads them (docs/webhooks.md, "For the operator"). */
  webhooks: {
    /** `WEBHOOK_SECRETS_KEY`: seals endpoint secrets; the same as the resource API's and the delivery worker's. */
    secretsKey: string;
    /** `WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true`: endpoints may be on loopback or private addresses, over http too. */
    allowPrivateNetworks: boolean;
  };
  /** Demo defaults and risky settings in use, one line each, to print at start. */
  warnings: string[];
}

/** DEMO ONLY, public on purpose; production refuses it. */
export const DEMO_SESSION_SECRET = 'demo-only-developer-portal-session-secret-change-me';
const SECRET_LENGTH_MIN = 32;
/** 12 hours (issue: "12 h idle limit"). */
const SESSION_IDLE_SECONDS = 12 * 60 * 60;

/**
 * Reads the environment into a {@link DeveloperPortalConfig}.
 *
 * @param env usually `process.env`; reads `DEVELOPER_PORTAL_URL`, `PORT`, `AUTH_ISSUER`,
 *   `RESOURCE_API_URL`, `LOG_LEVEL`, `NODE_ENV`, `DATABASE_URL`, `PAYAPI_ENVIRONMENT`,
 *   `DEVELOPER_PORTAL_SESSION_SECRET`, `TRUST_PROXY_HOPS`, `WEBHOOK_SECRETS_KEY`,
 *   `WEBHOOKS_ALLOW_PRIVATE_NETWORKS`
 * @throws {ConfigError} naming the variable: malformed URLs or port, unknown log level or
 *   environment, a session secret shorter than 32 characters; with `NODE_ENV=production`, a missing
 *   URL, `DATABASE_URL`, session secret or webhook key, a demo secret, or plain http outside localhost
 */
export function loadDeveloperPortalConfig(env: Readonly<Record<string, string | undefined>>): DeveloperPortalConfig {
  const production = env.NODE_ENV === 'production';
  const warnings: string[] = [];
  for (const variable of ['DEVELOPER_PORTAL_URL', 'AUTH_ISSUER', 'RESOURCE_API_URL'] as const) {
    if (production && !env[variable]) throw new ConfigError(variable, 'is required in production (no localhost default)');
  }
  const publicUrl = readServiceUrl('DEVELOPER_PORTAL_URL', env.DEVELOPER_PORTAL_URL ?? 'http://localhost:4003', { requireHttps: production });
  return {
    publicUrl,
    port: readPort(env.PORT, publicUrl, 4003),
    issuer: readServiceUrl('AUTH_ISSUER', env.AUTH_ISSUER ?? 'http://localhost:4000', { requireHttps: production }),
    resourceApiUrl: readServiceUrl('RESOURCE_API_URL', env.RESOURCE_API_URL ?? 'http://localhost:4001', { requireHttps: production }),
    logLevel: readLogLevel(env.LOG_LEVEL),
    production,
    database: resolveDatabaseUrl(env),
    environment: readPayapiEnvironment(env),
    sessionSecret: readSessionSecret(env.DEVELOPER_PORTAL_SESSION_SECRET, production, warnings),
    sessionIdleSeconds: SESSION_IDLE_SECONDS,
    trustProxyHops: readTrustProxyHops(env),
    webhooks: {
      secretsKey: readWebhookSecretsKey(env, warnings),
      allowPrivateNetworks: readWebhooksAllowPrivateNetworks(env, warnings),
    },
    warnings,
  };
}

/** @throws {ConfigError} naming `DEVELOPER_PORTAL_SESSION_SECRET` */
function readSessionSecret(value: string | undefined, production: boolean, warnings: string[]): string {
  if (value === undefined || value === '') {
    if (production) throw new ConfigError('DEVELOPER_PORTAL_SESSION_SECRET', `is required in production (${SECRET_LENGTH_MIN}+ characters)`);
    warnings.push('DEVELOPER_PORTAL_SESSION_SECRET is unset: the developer portal uses a public demo secret for CSRF tokens');
    return DEMO_SESSION_SECRET;
  }
  if (value.length < SECRET_LENGTH_MIN) throw new ConfigError('DEVELOPER_PORTAL_SESSION_SECRET', `must be at least ${SECRET_LENGTH_MIN} characters`);
  if (production && value === DEMO_SESSION_SECRET) throw new ConfigError('DEVELOPER_PORTAL_SESSION_SECRET', 'is the public demo secret: production needs its own');
  return value;
}
