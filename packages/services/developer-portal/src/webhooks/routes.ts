import Router from '@koa/router';
import { ENDPOINT_URL_LENGTH_MAX, EVENT_TYPES, EventsError, createEndpoint, deleteEndpoint, getEndpoint, redeliverEvent, sendTestEvent } from '@payapi/events';
import { renderAppPage } from '../apps/app-page.ts';
import { appPath, loadOwnedApp, ownedApp } from '../apps/load-owned-app.ts';
import { redirect } from '../developers/routes.ts';
import { PortalNotFoundError } from '../http/errors.ts';
import type { FieldError } from '../http/form-errors.ts';
import { confirmed, formOf, listField, parseForm, textField } from '../http/forms.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { pageFrame, requireSession, sessionCsrfToken, signedIn } from '../sessions/session-middleware.ts';
import { renderPage } from '../views/render.ts';
import { checkEndpointForm, endpointRefusal } from './endpoint-form.ts';

/**
 * Webhooks on the app's page, through `@payapi/events` directly with the app's client id (no
 * token needed: the session and the app's ownership are the authorization): Add endpoint (its
 * signing secret shown once), Send test event, Delete endpoint (after a confirmation page), and
 * Redeliver of an event. An endpoint or event id of another app is not found by those functions
 * (they are scoped by client id), so it answers 404 like one that does not exist.
 */
export function webhookRoutes(deps: PortalDeps): Router {
  const router = new Router();
  const session = requireSession(deps);
  const owned = loadOwnedApp(deps);
  const steps = [parseForm, session, owned] as const;

  router.post('/apps/:clientId/webhooks', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    const form = formOf(ctx);
    const url = textField(form, 'url', ENDPOINT_URL_LENGTH_MAX + 1).trim();
    const eventTypes = listField(form, 'event_types', EVENT_TYPES.length + 1);
    const policy = deps.webhooks.urlPolicy;
    const refuse = (errors: FieldError[]): Promise<void> =>
      renderAppPage(deps, ctx, app, { errors, errorForm: 'webhooks', webhookForm: { url, eventTypes } }, 422);
    const problems = checkEndpointForm(url, eventTypes, policy);
    if (problems.length > 0) return refuse(problems);
    let created: { endpoint: { id: string }; secret: string };
    try {
      created = await createEndpoint(deps.db, deps.webhooks, { clientId: app.clientId, url, eventTypes });
    } catch (error) {
      const refusal = endpointRefusal(error, policy);
      if (refusal === undefined) throw error;
      return refuse([refusal]);
    }
    await deps.showOnce.put(ctx, signedIn(ctx).idHash, { kind: 'webhook_secret', clientId: app.clientId, endpointId: created.endpoint.id, secret: created.secret });
    redirect(ctx, `${appPath(app.clientId)}#webhooks`);
  });

  router.post('/apps/:clientId/webhooks/:endpointId/test', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    await notFoundOnEventsMiss(() => sendTestEvent(deps.db, app.clientId, String(ctx.params.endpointId)));
    redirect(ctx, `${appPath(app.clientId)}?done=test-sent#webhooks`);
  });

  // Delete endpoint: the app page's button leads here (a 303 to the confirmation page), the
  // confirmation page's button (with `confirm=yes`) deletes.
  router.get('/apps/:clientId/webhooks/:endpointId/delete', session, owned, async (ctx) => {
    const app = ownedApp(ctx);
    const endpoint = await notFoundOnEventsMiss(() => getEndpoint(deps.db, app.clientId, String(ctx.params.endpointId)));
    renderPage(ctx, 'endpoint-delete', {
      ...pageFrame(deps, ctx, 'Delete the endpoint?'), formCsrf: sessionCsrfToken(deps, signedIn(ctx)), app, endpoint,
    });
  });

  router.post('/apps/:clientId/webhooks/:endpointId/delete', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    const endpointId = String(ctx.params.endpointId);
    if (!confirmed(formOf(ctx))) {
      await notFoundOnEventsMiss(() => getEndpoint(deps.db, app.clientId, endpointId));
      return redirect(ctx, endpointDeletePath(app.clientId, endpointId));
    }
    await notFoundOnEventsMiss(() => deleteEndpoint(deps.db, app.clientId, endpointId));
    redirect(ctx, `${appPath(app.clientId)}?done=endpoint-deleted#webhooks`);
  });

  router.post('/apps/:clientId/events/:eventId/redeliver', ...steps, async (ctx) => {
    const app = ownedApp(ctx);
    await notFoundOnEventsMiss(() => redeliverEvent(deps.db, app.clientId, String(ctx.params.eventId)));
    redirect(ctx, `${appPath(app.clientId)}?done=redelivered#webhooks`);
  });

  return router;
}

/** The confirmation page of Delete endpoint. */
function endpointDeletePath(clientId: string, endpointId: string): string {
  return `${appPath(clientId)}/webhooks/${encodeURIComponent(endpointId)}/delete`;
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
