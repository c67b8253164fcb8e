import Router from '@koa/router';
import { databaseAnswers } from '@payapi/platform';
import type { Knex } from 'knex';

/** How long `/readyz` waits for the database, milliseconds (as the resource API's). */
const READINESS_TIMEOUT_MS = 2_000;

/**
 * `GET /healthz` (the process answers: `200 {"status":"ok"}`) and `GET /readyz` (the database
 * answers `SELECT 1` within 2 s: `200 {"status":"ready"}`; else `503` problem+json
 * `database_unavailable` with `Retry-After: 5`, RFC 9457), the same answers as the resource API's.
 * A load balancer sends traffic only to instances whose `/readyz` answers 200 (docs/cluster.md).
 *
 * They are mounted before the issuer-host check (`requireIssuerHost`): a probe addresses the
 * instance (`127.0.0.1:4101`), not the issuer, and these answers build nothing from the Host header.
 */
export function healthRoutes(db: Knex): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (await databaseAnswers(db, READINESS_TIMEOUT_MS)) {
      ctx.body = { status: 'ready' };
      return;
    }
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.type = 'application/problem+json';
    ctx.body = {
      type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the database does not answer', code: 'database_unavailable',
    };
  });
  return router;
}
