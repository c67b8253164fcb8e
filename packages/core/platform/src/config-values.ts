import { isIP } from 'node:net';
import { ConfigError } from './config-error.ts';

/** True for localhost, 127.0.0.1 and [::1]: where plain http is acceptable. */
export function isLocalhostUrl(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

/**
 * Reads a service's base URL from configuration: http or https, no query, fragment or credentials;
 * trailing slashes removed. With `requireHttps`, plain http is refused except on localhost.
 *
 * @throws {ConfigError} naming `variable`
 */
export function readServiceUrl(variable: string, value: string, options: { requireHttps?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, `is not a URL: "${value.slice(0, 100)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(variable, 'must be an http: or https: URL');
  if (url.search || url.hash || url.username || url.password) throw new ConfigError(variable, 'must not carry a query, fragment or credentials');
  if (options.requireHttps && url.protocol !== 'https:' && !isLocalhostUrl(url)) {
    throw new ConfigError(variable, 'must be an https: URL in production (http is allowed for localhost only)');
  }
  return value.replace(/\/+$/, '');
}

/**
 * Reads `PORT`: an integer from 1 to 65535; when unset, the port of the service's own URL, else
 * `fallback`.
 *
 * @throws {ConfigError} naming `PORT`
 */
export function readPort(value: string | undefined, serviceUrl: string, fallback: number): number {
  if (value === undefined || value === '') return Number(new URL(serviceUrl).port || fallback);
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) throw new ConfigError('PORT', `must be a port number, not "${value}"`);
  return port;
}

/**
 * Reads `LISTEN_ADDRESS`: the IP address a service listens on, e.g. `127.0.0.1` behind a proxy on
 * the same machine (the local cluster's HAProxy, docs/cluster.md), so that nothing else can reach
 * the service or send it forwarded headers. Unset or empty means every interface.
 *
 * @returns the address, or undefined for every interface
 * @throws {ConfigError} naming `LISTEN_ADDRESS` for anything but an IPv4 or IPv6 address literal
 */
export function readListenAddress(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (isIP(value) === 0) throw new ConfigError('LISTEN_ADDRESS', `must be an IP address such as 127.0.0.1, not "${value.slice(0, 60)}"`);
  return value;
}

/** The deployment's environment (`PAYAPI_ENVIRONMENT`): events, client secrets and the portal name it. */
export type PayapiEnvironment = 'sandbox' | 'live';

/**
 * Reads `PAYAPI_ENVIRONMENT` the same way in every service. A deployment is one environment and
 * shares nothing with the other. Unset means `sandbox` (what `pnpm start` runs), and `live` with
 * `NODE_ENV=production`, where `sandbox` is refused: a production deployment is the live one.
 *
 * @param env reads `PAYAPI_ENVIRONMENT` and `NODE_ENV`
 * @throws {ConfigError} naming `PAYAPI_ENVIRONMENT`: a value other than `sandbox` or `live`, or
 *   `sandbox` with `NODE_ENV=production`
 */
export function readPayapiEnvironment(env: Readonly<Record<string, string | undefined>>): PayapiEnvironment {
  const production = env.NODE_ENV === 'production';
  const value = env.PAYAPI_ENVIRONMENT ?? '';
  if (value === '') return production ? 'live' : 'sandbox';
  if (value !== 'sandbox' && value !== 'live') throw new ConfigError('PAYAPI_ENVIRONMENT', `must be sandbox or live, not "${value.slice(0, 40)}"`);
  if (production && value !== 'live') throw new ConfigError('PAYAPI_ENVIRONMENT', 'must be live with NODE_ENV=production');
  return value;
}

/**
 * The deployment's security profile (`SECURITY_PROFILE`), read the same way by the authorization
 * server and the resource API (docs/security.md, "FAPI 2.0 profile"): `default` (what the contract
 * describes for every client) or `fapi2` (the FAPI 2.0 Security Profile: PAR, `private_key_jwt`,
 * DPoP-bound access tokens, PS256/ES256/EdDSA, 60-second codes).
 */
export type SecurityProfile = 'default' | 'fapi2';

/**
 * Reads `SECURITY_PROFILE`: unset or empty means `default`.
 *
 * @param env reads `SECURITY_PROFILE`
 * @throws {ConfigError} naming `SECURITY_PROFILE` for any value other than `default` or `fapi2`
 */
export function readSecurityProfile(env: Readonly<Record<string, string | undefined>>): SecurityProfile {
  const value = env.SECURITY_PROFILE ?? '';
  if (value === '') return 'default';
  if (value !== 'default' && value !== 'fapi2') {
    throw new ConfigError('SECURITY_PROFILE', `must be default or fapi2, not "${value.slice(0, 40)}"`);
  }
  return value;
}

/**
 * Reads an integer setting: unset or empty is `fallback`; otherwise decimal digits only (at most 9),
 * from `min` to `max`.
 *
 * @throws {ConfigError} naming `variable`, with the range and (the first 40 characters of) the value
 */
export function readInteger(variable: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!/^[0-9]{1,9}$/.test(value) || number < min || number > max) {
    throw new ConfigError(variable, `must be an integer from ${min} to ${max}, not "${value.slice(0, 40)}"`);
  }
  return number;
}

/**
 * Reads `TRUST_PROXY_HOPS` the same way in every service that reads client addresses: how many
 * reverse proxies in front append to `X-Forwarded-For` (0 to 10, default 0: the socket address,
 * the header ignored).
 *
 * @throws {ConfigError} naming `TRUST_PROXY_HOPS`
 */
export function readTrustProxyHops(env: Readonly<Record<string, string | undefined>>): number {
  return readInteger('TRUST_PROXY_HOPS', env.TRUST_PROXY_HOPS, 0, 0, 10);
}
