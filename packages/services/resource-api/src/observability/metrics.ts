import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The app's Prometheus metrics, in a registry of its own (several apps may live in one process, e.g. in tests). */
export interface Metrics {
  registry: Registry;
  /** `http_request_duration_seconds{method,route,status}`. */
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  /** `transfers_total{outcome}`: `completed`, `replayed`, or the problem `code` of a refusal. */
  transfers: Counter<'outcome'>;
  /** `transfer_batch_size`: transfers per database call of the group commit (routes/transfer-batches.ts). */
  transferBatchSize: Histogram;
}

/** Creates the registry, with Node's default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer HTTP requests, seconds, by route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    transfers: new Counter({
      name: 'transfers_total',
      help: 'POST /v1/transfers outcomes: completed, replayed, or the refusal code.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    transferBatchSize: new Histogram({
      name: 'transfer_batch_size',
      help: 'Transfers booked per database call and commit (group commit; 1 = booked alone).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
  };
}

/**
 * Times every request; the `route` label is the matched route template (`/v1/accounts/:account_id`),
 * never the raw URL (bounded label values), or `unmatched`. Counts transfer outcomes, refusals of
 * the OpenAPI validator included (a body that fails to parse as JSON has no route: `unmatched`).
 * The problem code of an error answer is read from `res.locals.problemCode` (set by `sendProblem`).
 */
export function recordMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.requestDuration.startTimer();
    res.on('finish', () => {
      // Refused before any route ran (by the OpenAPI validator): its matched template, in Express form.
      const validated = (req as { openapi?: { expressRoute?: string } }).openapi?.expressRoute;
      const route = req.route?.path === undefined ? (validated ?? 'unmatched') : `${req.baseUrl}${String(req.route.path)}`;
      stop({ method: req.method, route, status: String(res.statusCode) });
      if (route === '/v1/transfers' && req.method === 'POST') {
        const outcome = res.statusCode === 201
          ? (res.getHeader('Idempotent-Replayed') === 'true' ? 'replayed' : 'completed')
          : String(res.locals.problemCode ?? res.statusCode);
        metrics.transfers.inc({ outcome });
      }
    });
    next();
  };
}
