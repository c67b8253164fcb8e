import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { listenOn } from '@payapi/platform';
import type { Metrics } from './metrics.ts';
import type { MetricsSettings } from './metrics-settings.ts';

/**
 * The metrics port's whole surface: `GET /metrics` (Prometheus text format, the app's registry);
 * anything else 404 (405 for another method on `/metrics`), plain text.
 */
export function metricsListener(metrics: Metrics): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: this port serves GET /metrics only\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text);
    }, () => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n');
    });
  };
}

/**
 * Serves {@link metricsListener} on `settings.port` of `settings.host` (docs/operations.md,
 * "Metrics"); nothing when `settings.port` is null (demo mode: `/metrics` stays on the public port).
 *
 * @returns the listening server, or null
 * @throws {Error} naming the port when it is taken (from `listenOn`)
 */
export async function startMetricsServer(settings: MetricsSettings, metrics: Metrics): Promise<Server | null> {
  if (settings.port === null) return null;
  return listenOn(createServer(metricsListener(metrics)), settings.port, 'resource API metrics', { address: settings.host });
}
