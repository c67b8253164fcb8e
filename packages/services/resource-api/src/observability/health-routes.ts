import { databaseAnswers } from '@payapi/platform';
import { Router } from 'express';
import type { Knex } from 'knex';
import type { Metrics } from './metrics.ts';
import { ApiProblem } from '../errors/problem.ts';

/** How long `/readyz` waits for the database, milliseconds. */
const READINESS_TIMEOUT_MS = 2_000;

/**
 * `GET /healthz` (the process answers), `GET /readyz` (the database answers `SELECT 1` within
 * 2 s; else 503 problem `database_unavailable`), `GET /metrics` (Prometheus text format).
 */
export function healthRoutes(db: Knex, metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (!(await databaseAnswers(db, READINESS_TIMEOUT_MS))) {
      throw new ApiProblem(503, 'database_unavailable', 'the database does not answer', { 'Retry-After': '5' });
    }
    res.set('Cache-Control', 'no-store').json({ status: 'ready' });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
