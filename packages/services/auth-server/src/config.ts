import { randomBytes } from 'node:crypto';
import { ConfigError, readListenAddress, readLogLevel, readPayapiEnvironment, readPort, readSecurityProfile, readServiceUrl, readTrustProxyHops, resolveDatabaseUrl } from '@payapi/platform';
import type { DatabaseSource, LogLevel, PayapiEnvironment, SecurityProfile } from '@payapi/platform';

/** The authorization server's configuration, read and checked once at start. */
export interface AuthServerConfig {
  /**
   * `AUTH_ISSUER`: the issuer identifier and public base URL (default `http://localhost:4000`); the
   * only host the server answers for, in every mode (421 otherwise, see `requireIssuerHost`).
   */
  issuer: string;
  /** `PORT`: TCP port to listen on (default: the issuer's port, else 4000). */
  port: number;
  /** `LISTEN_ADDRESS`: the IP address to listen on (`readListenAddress`; undefined: every interface). */
  listenAddress: string | undefined;
  /** `RESOURCE_API_URL`: resource indicator (RFC 8707) and `aud` of access tokens (default `http://localhost:4001`). */
  resourceApiUrl: string;
  /** `AUTH_COOKIE_KEYS`: comma-separated secrets signing cookies (Keygrip; first signs, all verify). */
  cookieKeys: string[];
  /** `AUTH_KEY_ENCRYPTION_SECRET`: encrypts the signing keys' private parts at rest. */
  keyEncryptionSecret: string;
  /** `LOG_LEVEL`: pino level (default `info`), read by `readLogLevel` as in every service. */
  logLevel: LogLevel;
  /** `NODE_ENV=production`: no demo defaults. */
  production: boolean;
  /**
   * `PAYAPI_ENVIRONMENT` (`readPayapiEnvironment`: `sandbox` by default, `live` in production): the
   * prefix of the client secrets this server makes (dynamic registration).
   */
  environment: PayapiEnvironment;
  database: DatabaseSource;
  /**
   * `TRUST_PROXY_HOPS`: how many reverse proxies in front append to X-Forwarded-For (default 0:
   * trust none). The client address used for sign-in throttling is taken that many hops from the
   * right, so a client cannot choose it by sending its own header.
   */
  trustProxyHops: number;
  /** Access token lifetime, seconds (RFC 9068 tokens; 300 s, docs/authorization-server.md, "Access tokens"). */
  accessTokenTtlSeconds: number;
  /**
   * `SECURITY_PROFILE` (`readSecurityProfile`: `default` or `fapi2`): `fapi2` applies the FAPI 2.0
   * Security Profile on top of the provider's settings (see security-profile.ts, docs/security.md).
   */
  securityProfile: SecurityProfile;
  /** Warnings about demo defaults in use, to print at start. */
  warnings: string[];
}

/** Stable only within this demo setup: production must configure its own (and refuses to start without). */
const DEMO_KEY_ENCRYPTION_SECRET = 'demo-only-key-encryption-secret-change-me';
const SECRET_LENGTH_MIN = 32;

/**
 * Reads the environment into an {@link AuthServerConfig}.
 *
 * @throws {ConfigError} naming the variable: malformed URLs, an unknown `LOG_LEVEL`, a
 *   `PAYAPI_ENVIRONMENT` other than sandbox or live (only live in production), a
 *   `SECURITY_PROFILE` other than default or fapi2; with `NODE_ENV=production`, a missing
 *   `DATABASE_URL`, `AUTH_COOKIE_KEYS` or `AUTH_KEY_ENCRYPTION_SECRET`, secrets shorter than 32
 *   characters, or an `http:` issuer other than localhost
 */
export function loadAuthServerConfig(env: Readonly<Record<string, string | undefined>>): AuthServerConfig {
  const production = env.NODE_ENV === 'production';
  const warnings: string[] = [];
  for (const variable of ['AUTH_ISSUER', 'RESOURCE_API_URL'] as const) {
    if (production && !env[variable]) throw new ConfigError(variable, 'is required in production (no localhost default)');
  }
  const issuer = readServiceUrl('AUTH_ISSUER', env.AUTH_ISSUER ?? 'http://localhost:4000', { requireHttps: production });
  const resourceApiUrl = readServiceUrl('RESOURCE_API_URL', env.RESOURCE_API_URL ?? 'http://localhost:4001');
  const trustProxyHops = readTrustProxyHops(env);
  let cookieKeys = (env.AUTH_COOKIE_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean);
  if (cookieKeys.length === 0) {
    if (production) throw new ConfigError('AUTH_COOKIE_KEYS', 'is required in production (comma-separated secrets of 32+ characters)');
    cookieKeys = [randomBytes(32).toString('base64url')];
    warnings.push('AUTH_COOKIE_KEYS is unset: using a random cookie key (sessions end when the server restarts)');
  }
  if (cookieKeys.some((key) => key.length < SECRET_LENGTH_MIN)) {
    throw new ConfigError('AUTH_COOKIE_KEYS', `every key must be at least ${SECRET_LENGTH_MIN} characters`);
  }
  let keyEncryptionSecret = env.AUTH_KEY_ENCRYPTION_SECRET ?? '';
  if (!keyEncryptionSecret) {
    if (production) throw new ConfigError('AUTH_KEY_ENCRYPTION_SECRET', 'is required in production (32+ characters)');
    keyEncryptionSecret = DEMO_KEY_ENCRYPTION_SECRET;
    warnings.push('AUTH_KEY_ENCRYPTION_SECRET is unset: signing keys are encrypted with a demo secret');
  }
  if (keyEncryptionSecret.length < SECRET_LENGTH_MIN) {
    throw new ConfigError('AUTH_KEY_ENCRYPTION_SECRET', `must be at least ${SECRET_LENGTH_MIN} characters`);
  }
  if (production && keyEncryptionSecret === DEMO_KEY_ENCRYPTION_SECRET) {
    throw new ConfigError('AUTH_KEY_ENCRYPTION_SECRET', 'is the demo secret: production needs its own');
  }
  return {
    issuer,
    port: readPort(env.PORT, issuer, 4000),
    listenAddress: readListenAddress(env.LISTEN_ADDRESS),
    resourceApiUrl,
    cookieKeys,
    keyEncryptionSecret,
    logLevel: readLogLevel(env.LOG_LEVEL),
    production,
    environment: readPayapiEnvironment(env),
    database: resolveDatabaseUrl(env),
    trustProxyHops,
    accessTokenTtlSeconds: 300,
    securityProfile: readSecurityProfile(env),
    warnings,
  };
}
