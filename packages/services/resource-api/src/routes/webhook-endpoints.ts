import { Router } from 'express';
import type { RequestHandler } from 'express';
import {
  createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, listEndpoints, rotateEndpointSecret, sendTestEvent, updateEndpoint,
} from '@payapi/events';
import type { SecretBox, UrlPolicy } from '@payapi/events';
import type { Knex } from 'knex';
import { requireActiveGrant } from '../auth/check-grant-active.ts';
import { authenticatedOf } from '../auth/request-token.ts';
import { requireClientScope } from '../auth/require-client-scope.ts';
import { pageQuery } from './page-query.ts';

/** What the webhook routes need beside the database: the box sealing secrets and where endpoints may point. */
export interface WebhookEndpointDeps {
  secrets: SecretBox;
  urlPolicy: UrlPolicy;
}

/** `POST /v1/webhook-endpoints` after OpenAPI validation (types, lengths, known event types, no extra fields). */
interface EndpointBody {
  url?: string;
  event_types?: string[];
  description?: string | null;
  status?: 'enabled' | 'disabled';
}

/** The endpoint id of the path; the events package answers 404 for one that cannot exist. */
const endpointIdOf = (params: Record<string, string | string[] | undefined>): string => String(params.endpoint_id);

/**
 * `/v1/webhook-endpoints…` (docs/webhooks.md, "Registering an endpoint"): a client's own endpoints,
 * their secrets, test events and deliveries. Each route: authenticate, a client-credentials token
 * with `webhooks:manage`, the token not revoked, then the events package with the token's
 * `client_id`, so another client's endpoint answers 404 as an absent one. Refusals are
 * `EventsError`s (status per `EVENTS_ERROR_STATUS`).
 *
 * @param authenticate the `authenticate` step, built once for the app
 */
export function webhookEndpointRoutes(db: Knex, authenticate: RequestHandler, deps: WebhookEndpointDeps): Router {
  const manage = [authenticate, requireClientScope('webhooks:manage'), requireActiveGrant(db)];
  const router = Router();
  router.post('/v1/webhook-endpoints', ...manage, async (req, res) => {
    const body = req.body as EndpointBody;
    const { endpoint, secret } = await createEndpoint(db, deps, {
      clientId: authenticatedOf(req).token.clientId, url: body.url, eventTypes: body.event_types, description: body.description,
    });
    res.status(201).location(`/v1/webhook-endpoints/${endpoint.id}`).json({ ...endpoint, secret });
  });
  router.get('/v1/webhook-endpoints', ...manage, async (req, res) => {
    res.json({ data: await listEndpoints(db, authenticatedOf(req).token.clientId) });
  });
  router.get('/v1/webhook-endpoints/:endpoint_id', ...manage, async (req, res) => {
    res.json(await getEndpoint(db, authenticatedOf(req).token.clientId, endpointIdOf(req.params)));
  });
  router.patch('/v1/webhook-endpoints/:endpoint_id', ...manage, async (req, res) => {
    const body = req.body as EndpointBody;
    res.json(await updateEndpoint(db, deps, authenticatedOf(req).token.clientId, endpointIdOf(req.params), {
      url: body.url, eventTypes: body.event_types, description: body.description, status: body.status,
    }));
  });
  router.delete('/v1/webhook-endpoints/:endpoint_id', ...manage, async (req, res) => {
    await deleteEndpoint(db, authenticatedOf(req).token.clientId, endpointIdOf(req.params));
    res.status(204).end();
  });
  router.post('/v1/webhook-endpoints/:endpoint_id/secret/rotate', ...manage, async (req, res) => {
    res.json(await rotateEndpointSecret(db, deps, authenticatedOf(req).token.clientId, endpointIdOf(req.params)));
  });
  router.post('/v1/webhook-endpoints/:endpoint_id/test', ...manage, async (req, res) => {
    const eventId = await sendTestEvent(db, authenticatedOf(req).token.clientId, endpointIdOf(req.params));
    res.status(202).json({ event_id: eventId });
  });
  router.get('/v1/webhook-endpoints/:endpoint_id/deliveries', ...manage, async (req, res) => {
    const page = await listDeliveries(db, {
      clientId: authenticatedOf(req).token.clientId, endpointId: endpointIdOf(req.params), ...pageQuery(req.query),
    });
    res.json({ data: page.data, next_cursor: page.nextCursor });
  });
  return router;
}
