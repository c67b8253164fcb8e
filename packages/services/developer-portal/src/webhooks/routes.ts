import Router from '@koa/router';
import { EVENT_TYPES, EventsError, createEndpoint, deleteEndpoint, redeliverEvent, sendTestEvent } from '@payapi/events';
import { renderAppPage } from '../apps/app-page.ts';
import { appPath, loadOwnedApp, ownedApp } from '../apps/load-owned-app.ts';
import { redirect } from '../developers/routes.ts';
import { PortalNotFoundError } from '../http/errors.ts';
import { formOf, listField, parseForm, textField } from '../http/forms.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { requireSession, signedIn } from '../sessions/session-middleware.ts';

const URL_FIELD_MAX = 2048;

/** What a developer reads for each refusal of `@payapi/events` they can correct. */
const REFUSALS: Readonly<Partial<Record<EventsError['code'], string>>> = {
  invalid_request: 'Enter an absolute endpoint URL and tick at least one event type.',
  webhook_url_not_allowed: 'This endpoint URL is not allowed: it must be https on a public address (docs/webhooks.md, "Endpoint URLs").',
  webhook_endpoint_limit_reached: 'An app may have at most 10 endpoints: delete one first.',
};

/**
 * Webhooks on the app's page, through `@payapi/events` directly with the app's client id (no
 * token needed: the session and the app's ownership are the authorization): Add endpoint (its
 * signing secret shown once), Send test event, Delete endpoint, and Redeliver of an event. An
 * endpoint or event id of another app is not found by those functions (they are scoped by client
 * id), so it answers 404 like one that does not exist.
 */
export function webhookRoutes(deps: PortalDeps): Router {
  const router = new Router();
  const steps = [parseForm, requireSession(deps), loadOwnedApp(deps)] as const;

  router.post('/apps/:clientId/webhooks', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    const form = formOf(ctx);
    const url = textField(form, 'url', URL_FIELD_MAX + 1).trim();
    const eventTypes = listField(form, 'event_types', EVENT_TYPES.length);
    let created: { endpoint: { id: string }; secret: string };
    try {
      created = await createEndpoint(deps.db, deps.webhooks, { clientId: app.clientId, url, eventTypes });
    } catch (error) {
      const message = error instanceof EventsError ? REFUSALS[error.code] : undefined;
      if (message === undefined) throw error;
      return renderAppPage(deps, ctx, app, { webhookError: message, webhookForm: { url, eventTypes } }, 422);
    }
    await deps.showOnce.put(ctx, signedIn(ctx).idHash, { kind: 'webhook_secret', clientId: app.clientId, endpointId: created.endpoint.id, secret: created.secret });
    redirect(ctx, `${appPath(app.clientId)}#webhooks`);
  });

  router.post('/apps/:clientId/webhooks/:endpointId/test', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    await notFoundOnEventsMiss(() => sendTestEvent(deps.db, app.clientId, String(ctx.params.endpointId)));
    redirect(ctx, `${appPath(app.clientId)}?done=test-sent#webhooks`);
  });

  router.post('/apps/:clientId/webhooks/:endpointId/delete', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    await notFoundOnEventsMiss(() => deleteEndpoint(deps.db, app.clientId, String(ctx.params.endpointId)));
    redirect(ctx, `${appPath(app.clientId)}?done=endpoint-deleted#webhooks`);
  });

  router.post('/apps/:clientId/events/:eventId/redeliver', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    await notFoundOnEventsMiss(() => redeliverEvent(deps.db, app.clientId, String(ctx.params.eventId)));
    redirect(ctx, `${appPath(app.clientId)}?done=redelivered#webhooks`);
  });

  return router;
}

/**
 * Runs an events call scoped to the app's client id; its "not found" (another app's id, or none)
 * becomes the portal's 404.
 */
async function notFoundOnEventsMiss<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof EventsError && (error.code === 'webhook_endpoint_not_found' || error.code === 'event_not_found')) throw new PortalNotFoundError();
    throw error;
  }
}
