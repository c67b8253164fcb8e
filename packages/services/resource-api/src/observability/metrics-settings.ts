import { isIP } from 'node:net';
import { ConfigError, readInteger } from '@payapi/platform';

/** Where `/metrics` is served (docs/operations.md, "Metrics"). */
export interface MetricsSettings {
  /**
   * `METRICS_PORT`: `/metrics` is served on this port of {@link MetricsSettings.host} only, and the
   * public port answers 404 for it. Null (demo mode without `METRICS_PORT`, with a warning): on
   * the public port, as before.
   */
  port: number | null;
  /** `METRICS_HOST` (default `127.0.0.1`): the address the metrics port is bound to. */
  host: string;
}

/** `METRICS_PORT` with `NODE_ENV=production` when unset: the Prometheus exporters' customary port. */
export const PRODUCTION_METRICS_PORT = 9464;

/** A host name (RFC 1123 labels) or an IP address. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Reads `METRICS_PORT` and `METRICS_HOST`. Unset `METRICS_PORT` is 9464 with `NODE_ENV=production`
 * (metrics never on the public port there), and in demo mode keeps `/metrics` on the public port
 * with a warning in `warnings`.
 *
 * @param publicPort the API's own port (`PORT`): the metrics port must differ from it
 * @throws {ConfigError} naming `METRICS_PORT` (not 1 to 65535, or the public port) or
 *   `METRICS_HOST` (neither a host name nor an IP address)
 */
export function readMetricsSettings(env: Readonly<Record<string, string | undefined>>, publicPort: number, warnings: string[]): MetricsSettings {
  const production = env.NODE_ENV === 'production';
  const host = env.METRICS_HOST || '127.0.0.1';
  if (isIP(host) === 0 && !HOST_NAME.test(host)) throw new ConfigError('METRICS_HOST', 'must be a host name or an IP address to bind the metrics port to');
  const port = readInteger('METRICS_PORT', env.METRICS_PORT, production ? PRODUCTION_METRICS_PORT : 0, 1, 65_535) || null;
  if (port === null) {
    warnings.push('METRICS_PORT is unset: /metrics is served on the public port (demo mode); set METRICS_PORT to serve it on 127.0.0.1 only');
  } else if (port === publicPort) {
    throw new ConfigError('METRICS_PORT', `must differ from the public port ${publicPort}`);
  }
  return { port, host };
}
