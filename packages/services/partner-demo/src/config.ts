import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
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
  /**
   * `PARTNER_DEMO_CLIENT_SECRET`: the client's secret (demo mode: a fixed, public demo value). Used
   * with the `default` profile only.
   */
  clientSecret: string;
  /**
   * `SECURITY_PROFILE`: the bank's profile, which decides how this app talks to it. `default` as
   * the contract describes (client secret, Bearer tokens); `fapi2` (FAPI 2.0): pushed authorization
   * requests (RFC 9126), `private_key_jwt` with {@link clientKey} (RFC 7523), DPoP-bound tokens (RFC 9449).
   */
  securityProfile: 'default' | 'fapi2';
  /**
   * With `fapi2`: the key the app signs its client assertions with (`PARTNER_DEMO_CLIENT_KEY`, a
   * private JWK as JSON); outside production, when unset, a P-256 key made at start (the bank must
   * then be given `publicJwk` again, as `pnpm start` does). Undefined with `default`.
   */
  clientKey: PartnerClientKey | undefined;
  /**
   * `PARTNER_DEMO_PAYEE_ACCOUNT_ID`: the bank account the Pay form suggests as creditor (a merchant's
   * own account; `pnpm start` sets Bob Current's); empty when unset.
   */
  payeeAccountId: string;
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

/** The app's signing key for `private_key_jwt`: the private JWK it signs with and the public JWK the bank holds. */
export interface PartnerClientKey {
  /** Private JWK (never logged, never sent). */
  privateJwk: JsonWebKey;
  /** Public JWK with `kid` and `use: sig`, to register with the bank (`jwks: { keys: [publicJwk] }`). */
  publicJwk: JsonWebKey & { kid: string };
  /** The JWS algorithm of the assertions: ES256 (P-256), PS256 (RSA) or EdDSA (Ed25519), FAPI 2.0 §5.4.1. */
  alg: 'ES256' | 'PS256' | 'EdDSA';
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
 *   `PARTNER_DEMO_WEBHOOKS` other than true or false, `SECURITY_PROFILE` other than default or
 *   fapi2, a `PARTNER_DEMO_CLIENT_KEY` that is not a private P-256, RSA (2048+) or Ed25519 JWK, a
 *   malformed `PARTNER_DEMO_PAYEE_ACCOUNT_ID`; with `NODE_ENV=production`, missing URLs or secrets
 *   (the client key instead of the client secret under fapi2), the demo client secret, short secrets
 */
export function loadPartnerDemoConfig(env: Readonly<Record<string, string | undefined>>): PartnerDemoConfig {
  const production = env.NODE_ENV === 'production';
  const warnings: string[] = [];
  const securityProfile = readSecurityProfile(env.SECURITY_PROFILE);
  if (production) {
    const credential = securityProfile === 'fapi2' ? 'PARTNER_DEMO_CLIENT_KEY' : 'PARTNER_DEMO_CLIENT_SECRET';
    for (const variable of ['PARTNER_DEMO_URL', 'AUTH_ISSUER', 'RESOURCE_API_URL', credential, 'PARTNER_DEMO_SESSION_SECRET']) {
      if (!env[variable]) throw new PartnerDemoConfigError(variable, 'is required in production');
    }
  }
  const publicUrl = readUrl('PARTNER_DEMO_URL', env.PARTNER_DEMO_URL ?? 'http://localhost:4002', production);
  const issuer = readUrl('AUTH_ISSUER', env.AUTH_ISSUER ?? 'http://localhost:4000', production);
  const resourceApiUrl = readUrl('RESOURCE_API_URL', env.RESOURCE_API_URL ?? 'http://localhost:4001', production);
  let clientSecret = env.PARTNER_DEMO_CLIENT_SECRET ?? '';
  if (!clientSecret) {
    clientSecret = DEMO_PARTNER_CLIENT_SECRET;
    if (securityProfile === 'default') warnings.push('PARTNER_DEMO_CLIENT_SECRET is unset: using the public demo secret of the partner-demo client');
  }
  if (production && securityProfile === 'default' && clientSecret === DEMO_PARTNER_CLIENT_SECRET) {
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
  let clientKey: PartnerClientKey | undefined;
  if (securityProfile === 'fapi2') {
    if (env.PARTNER_DEMO_CLIENT_KEY) {
      clientKey = readClientKey(env.PARTNER_DEMO_CLIENT_KEY);
    } else {
      clientKey = generateClientKey();
      warnings.push('PARTNER_DEMO_CLIENT_KEY is unset: using a key pair made at start (its public key must be registered again after each start, as pnpm start does)');
    }
  }
  const payeeAccountId = env.PARTNER_DEMO_PAYEE_ACCOUNT_ID ?? '';
  if (payeeAccountId && !/^[A-Za-z0-9_-]{1,64}$/.test(payeeAccountId)) {
    throw new PartnerDemoConfigError('PARTNER_DEMO_PAYEE_ACCOUNT_ID', 'must be an account id (letters, digits, _ and -, at most 64)');
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
    securityProfile,
    clientKey,
    payeeAccountId,
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

function readSecurityProfile(value: string | undefined): 'default' | 'fapi2' {
  if (value === undefined || value === '') return 'default';
  if (value !== 'default' && value !== 'fapi2') throw new PartnerDemoConfigError('SECURITY_PROFILE', `must be default or fapi2, not "${value.slice(0, 40)}"`);
  return value;
}

/**
 * `PARTNER_DEMO_CLIENT_KEY`: a private JWK (JSON) of a P-256, RSA (2048 bits or more) or Ed25519
 * key; its public half (with the given `kid`, or one made from a random value) is what the bank holds.
 */
function readClientKey(value: string): PartnerClientKey {
  const refuse = (problem: string): PartnerDemoConfigError => new PartnerDemoConfigError('PARTNER_DEMO_CLIENT_KEY', problem);
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(value) as JsonWebKey;
  } catch {
    throw refuse('must be a private JWK as JSON');
  }
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') throw refuse('must be a private JWK as JSON (with its "d")');
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw refuse('is not a valid private key');
  }
  const details = privateKey.asymmetricKeyDetails;
  const type = privateKey.asymmetricKeyType;
  let alg: PartnerClientKey['alg'];
  if (type === 'ec' && details?.namedCurve === 'prime256v1') alg = 'ES256';
  else if (type === 'rsa' && (details?.modulusLength ?? 0) >= 2048) alg = 'PS256';
  else if (type === 'ed25519') alg = 'EdDSA';
  else throw refuse('must be a P-256, RSA (2048 bits or more) or Ed25519 key');
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : `partner-demo-${randomBytes(8).toString('hex')}`;
  return { privateJwk: { ...jwk, kid }, publicJwk: { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, use: 'sig' }, alg };
}

/** A P-256 key pair made now (demo mode): its private half lives in this process's memory only. */
function generateClientKey(): PartnerClientKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `partner-demo-${randomBytes(8).toString('hex')}`;
  return { privateJwk: { ...privateKey.export({ format: 'jwk' }), kid }, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' }, alg: 'ES256' };
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
