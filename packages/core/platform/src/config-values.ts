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
