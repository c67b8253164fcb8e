import { Router } from 'express';
import type { RequestHandler } from 'express';
import { getClientEvent, listClientEvents, redeliverEvent, toWireEvent } from '@payapi/events';
import type { PayapiEnvironment } from '@payapi/platform';
import type { Knex } from 'knex';
import { requireActiveGrant } from '../auth/check-grant-active.ts';
import { authenticatedOf } from '../auth/request-token.ts';
import { requireClientScope } from '../auth/require-client-scope.ts';
import { pageQuery } from './page-query.ts';

/**
 * `/v1/events…` (docs/webhooks.md, "Catching up"): the client's event log of the last 30 days,
 * newest first, one event, and a redelivery. Same steps as the webhook endpoint routes; another
 * client's event, or one older than 30 days, answers 404 `event_not_found`.
 *
 * @param environment `PAYAPI_ENVIRONMENT`: each event's `environment`
 */
export function eventRoutes(db: Knex, authenticate: RequestHandler, environment: PayapiEnvironment): Router {
  const manage = [authenticate, requireClientScope('webhooks:manage'), requireActiveGrant(db)];
  const router = Router();
  router.get('/v1/events', ...manage, async (req, res) => {
    const { type } = req.query as Record<string, unknown>;
    const page = await listClientEvents(db, {
      clientId: authenticatedOf(req).token.clientId, ...(typeof type === 'string' ? { type } : {}), ...pageQuery(req.query),
    });
    res.json({ data: page.data.map((event) => toWireEvent(event, environment)), next_cursor: page.nextCursor });
  });
  router.get('/v1/events/:event_id', ...manage, async (req, res) => {
    res.json(toWireEvent(await getClientEvent(db, authenticatedOf(req).token.clientId, String(req.params.event_id)), environment));
  });
  router.post('/v1/events/:event_id/redeliver', ...manage, async (req, res) => {
    const eventId = String(req.params.event_id);
    const attemptsQueued = await redeliverEvent(db, authenticatedOf(req).token.clientId, eventId);
    res.status(202).json({ event_id: eventId, attempts_queued: attemptsQueued });
  });
  return router;
}
