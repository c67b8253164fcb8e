import { randomBytes } from 'node:crypto';
import type { LevelWithSilent } from 'pino';
import { LOG_LEVELS } from './logger.ts';

/** The partner demo's configuration, read and checked once at start. */
export interface PartnerDemoConfig {
  /** `PARTNER_DEMO_URL`: public base URL; the redirect URI is `${publicUrl}/callback` (default `http://localhost:4002`). */
  publicUrl: string;
  /** `PORT`: where to listen (default: the public URL's port, else 4002). */
  port: number;
  /** `AUTH_ISSUER`: the bank's authorization server, found by discovery (default `http://localhost:4000`). */
  issuer: string;
  /** `RESOURCE_API_URL`: the bank's API, also the resource indicator (RFC 8707) (default `http://localhost:4001`). */
  resourceApiUrl: string;
  /** `PARTNER_DEMO_CLIENT_ID` (default `partner-demo`). */
  clientId: string;
  /** `PARTNER_DEMO_CLIENT_SECRET`: the client's secret (demo mode: a fixed, public demo value). */
  clientSecret: string;
  /** `PARTNER_DEMO_SESSION_SECRET`: signs the session cookie (demo mode: random per start). */
  sessionSecret: string;
  /** `LOG_LEVEL`: pino level (default `info`), as in the bank's services. */
  logLevel: LevelWithSilent;
  /** `NODE_ENV=production`: no demo defaults, secure cookies. */
  production: boolean;
  /**
   * `PARTNER_DEMO_WEBHOOKS` (`true` or `false`; default `true` outside production): at start,
   * register `${publicUrl}/webhooks` with the bank and show its notifications on the dashboard.
   */
  webhooks: boolean;
  /** Demo defaults in use, to print at start. */
  warnings: string[];
}

/**
 * DEMO ONLY, public on purpose: the `partner-demo` client's secret when PARTNER_DEMO_CLIENT_SECRET is
 * unset outside production. `pnpm start` registers the client with the same value; production refuses it.
 */
export const DEMO_PARTNER_CLIENT_SECRET = 'demo-only-partner-demo-secret-do-not-use-in-production';

const SECRET_LENGTH_MIN = 32;

/** A configuration problem that names the variable. */
export class PartnerDemoConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'PartnerDemoConfigError';
    this.variable = variable;
  }
}

/**
 * Reads the environment into a {@link PartnerDemoConfig}.
 *
 * @throws {PartnerDemoConfigError} naming the variable: malformed URL or port, unknown `LOG_LEVEL`,
 *   `PARTNER_DEMO_WEBHOOKS` other than true or false; with
 *   `NODE_ENV=production`, missing URLs or secrets, the demo client secret, short secrets
 */
export function loadPartnerDemoConfig(env: Readonly<Record<string, string | undefined>>): PartnerDemoConfig {
  const production = env.NODE_ENV === 'production';
  const warnings: string[] = [];
  if (production) {
    for (const variable of ['PARTNER_DEMO_URL', 'AUTH_ISSUER', 'RESOURCE_API_URL', 'PARTNER_DEMO_CLIENT_SECRET', 'PARTNER_DEMO_SESSION_SECRET']) {
      if (!env[variable]) throw new PartnerDemoConfigError(variable, 'is required in production');
    }
  }
  const publicUrl = readUrl('PARTNER_DEMO_URL', env.PARTNER_DEMO_URL ?? 'http://localhost:4002', production);
  const issuer = readUrl('AUTH_ISSUER', env.AUTH_ISSUER ?? 'http://localhost:4000', production);
  const resourceApiUrl = readUrl('RESOURCE_API_URL', env.RESOURCE_API_URL ?? 'http://localhost:4001', production);
  let clientSecret = env.PARTNER_DEMO_CLIENT_SECRET ?? '';
  if (!clientSecret) {
    clientSecret = DEMO_PARTNER_CLIENT_SECRET;
    warnings.push('PARTNER_DEMO_CLIENT_SECRET is unset: using the public demo secret of the partner-demo client');
  }
  if (production && clientSecret === DEMO_PARTNER_CLIENT_SECRET) {
    throw new PartnerDemoConfigError('PARTNER_DEMO_CLIENT_SECRET', 'is the public demo secret: production needs the secret `clients:create` printed');
  }
  let sessionSecret = env.PARTNER_DEMO_SESSION_SECRET ?? '';
  if (!sessionSecret) {
    sessionSecret = randomBytes(32).toString('base64url');
    warnings.push('PARTNER_DEMO_SESSION_SECRET is unset: using a random one (partner demo sessions end when it restarts)');
  }
  if (sessionSecret.length < SECRET_LENGTH_MIN) {
    throw new PartnerDemoConfigError('PARTNER_DEMO_SESSION_SECRET', `must be at least ${SECRET_LENGTH_MIN} characters`);
  }
  const webhooks = env.PARTNER_DEMO_WEBHOOKS ?? (production ? 'false' : 'true');
  if (webhooks !== 'true' && webhooks !== 'false') throw new PartnerDemoConfigError('PARTNER_DEMO_WEBHOOKS', 'must be true or false');
  return {
    publicUrl,
    port: readPort(env.PORT, publicUrl),
    issuer,
    resourceApiUrl,
    clientId: env.PARTNER_DEMO_CLIENT_ID || 'partner-demo',
    clientSecret,
    sessionSecret,
    logLevel: readLogLevel(env.LOG_LEVEL),
    production,
    webhooks: webhooks === 'true',
    warnings,
  };
}

function readUrl(variable: string, value: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PartnerDemoConfigError(variable, `is not a URL: "${value.slice(0, 100)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PartnerDemoConfigError(variable, 'must be an http: or https: URL');
  if (url.search || url.hash || url.username || url.password) throw new PartnerDemoConfigError(variable, 'must not carry a query, fragment or credentials');
  if (production && url.protocol !== 'https:' && !isLocalhost(url)) {
    throw new PartnerDemoConfigError(variable, 'must be an https: URL in production (http is allowed for localhost only)');
  }
  return value.replace(/\/+$/, '');
}

/** True for localhost, 127.0.0.1 and [::1]: where plain http is acceptable. */
export function isLocalhost(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

function readLogLevel(value: string | undefined): LevelWithSilent {
  if (value === undefined || value === '') return 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === value);
  if (!level) throw new PartnerDemoConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function readPort(value: string | undefined, publicUrl: string): number {
  if (value === undefined || value === '') return Number(new URL(publicUrl).port || 4002);
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) throw new PartnerDemoConfigError('PORT', `must be a port number, not "${value}"`);
  return port;
}
