import Router from '@koa/router';
import {
  ClientInputError, createPartnerApp, deletePartnerApp, getPartnerApp, rotateClientSecret, updatePartnerAppRedirectUris,
} from '@payapi/auth-server';
import type { Context } from 'koa';
import { redirect } from '../developers/routes.ts';
import { PortalInputError } from '../http/errors.ts';
import { formOf, parseForm, textField } from '../http/forms.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { pageFrame, requireSession, sessionCsrfToken, signedIn } from '../sessions/session-middleware.ts';
import { renderPage } from '../views/render.ts';
import { APP_NOTICES, renderAppPage } from './app-page.ts';
import { appPath, loadOwnedApp, ownedApp, statusLabel } from './load-owned-app.ts';
import { APPS_PER_DEVELOPER_MAX, checkAppLimit, forgetApp, listOwnedApps, recordApp } from './owned-apps.ts';
import { parseRedirectUris } from './redirect-uris.ts';

const NAME_FIELD_MAX = 200;
const REDIRECT_URIS_FIELD_MAX = 8 * 1024;

/**
 * The developer's apps: `/apps` (list, Create app), `/apps/new` (App name, Redirect URIs, Create),
 * and under `/apps/:clientId` (only the developer's own, else 404) the app's page, Save (redirect
 * URIs), Rotate secret and Delete app. A new or rotated secret goes to the page through the
 * one-time cookie (`ShowOnce`) and is never stored or logged by the portal.
 */
export function appRoutes(deps: PortalDeps): Router {
  const router = new Router();
  const session = requireSession(deps);
  const owned = loadOwnedApp(deps);

  router.get('/apps', session, async (ctx) => {
    const rows = await listOwnedApps(deps.db, signedIn(ctx).developer.id);
    const apps = [];
    for (const row of rows) {
      const app = await getPartnerApp(deps.db, row.clientId);
      if (app) apps.push({ clientId: app.clientId, name: app.name, statusLabel: statusLabel(app.status), createdAt: row.createdAt });
    }
    const done = typeof ctx.query.done === 'string' && ctx.query.done === 'deleted' ? 'App deleted: its grants and tokens are revoked.' : null;
    renderPage(ctx, 'apps', { ...pageFrame(deps, ctx, 'Your apps'), apps, appsMax: APPS_PER_DEVELOPER_MAX, notice: done });
  });

  router.get('/apps/new', session, (ctx) => renderNewApp(ctx, { name: '', redirectUris: '', error: null }));

  router.post('/apps', parseForm, session, async (ctx) => {
    const form = formOf(ctx);
    const name = textField(form, 'name', NAME_FIELD_MAX).trim();
    const redirectUrisText = textField(form, 'redirect_uris', REDIRECT_URIS_FIELD_MAX);
    const developer = signedIn(ctx).developer;
    let created: { clientId: string; clientSecret: string };
    try {
      if (name.length === 0) throw new PortalInputError('Enter a name for the app.');
      const redirectUris = parseRedirectUris(redirectUrisText);
      created = await deps.db.transaction(async (trx) => {
        await checkAppLimit(trx, developer.id);
        const app = await createPartnerApp(trx, { name, redirectUris, owner: developer.id }, { environment: deps.config.environment });
        await recordApp(trx, app.clientId, developer.id);
        return app;
      });
    } catch (error) {
      const message = inputErrorMessage(error);
      if (message === undefined) throw error;
      return renderNewApp(ctx, { name, redirectUris: redirectUrisText, error: message }, 422);
    }
    await deps.showOnce.put(ctx, signedIn(ctx).idHash, { kind: 'client_secret', clientId: created.clientId, secret: created.clientSecret });
    redirect(ctx, appPath(created.clientId));
  });

  router.get('/apps/:clientId', session, owned, async (ctx) => {
    // Own keys only: `?done=constructor` must not show Object's members.
    const done = typeof ctx.query.done === 'string' && Object.hasOwn(APP_NOTICES, ctx.query.done) ? APP_NOTICES[ctx.query.done] : undefined;
    await renderAppPage(deps, ctx, ownedApp(ctx), { notice: done ?? null });
  });

  router.post('/apps/:clientId/redirect-uris', parseForm, session, owned, async (ctx) => {
    const app = ownedApp(ctx);
    const text = textField(formOf(ctx), 'redirect_uris', REDIRECT_URIS_FIELD_MAX);
    try {
      await updatePartnerAppRedirectUris(deps.db, app.clientId, parseRedirectUris(text));
    } catch (error) {
      const message = inputErrorMessage(error);
      if (message === undefined) throw error;
      return renderAppPage(deps, ctx, app, { redirectError: message, redirectUrisText: text }, 422);
    }
    redirect(ctx, `${appPath(app.clientId)}?done=saved`);
  });

  router.post('/apps/:clientId/secret', parseForm, session, owned, async (ctx) => {
    const app = ownedApp(ctx);
    const { clientSecret } = await rotateClientSecret(deps.db, app.clientId, { environment: deps.config.environment });
    await deps.showOnce.put(ctx, signedIn(ctx).idHash, { kind: 'client_secret', clientId: app.clientId, secret: clientSecret });
    redirect(ctx, appPath(app.clientId));
  });

  router.post('/apps/:clientId/delete', parseForm, session, owned, async (ctx) => {
    const app = ownedApp(ctx);
    // Grants, tokens, secrets and webhook endpoints go with it (see `deletePartnerApp`).
    await deletePartnerApp(deps.db, app.clientId);
    await forgetApp(deps.db, signedIn(ctx).developer.id, app.clientId);
    redirect(ctx, '/apps?done=deleted');
  });

  function renderNewApp(ctx: Context, form: { name: string; redirectUris: string; error: string | null }, status = 200): void {
    renderPage(ctx, 'app-new', { ...pageFrame(deps, ctx, 'Create an app'), ...form, formCsrf: sessionCsrfToken(deps, signedIn(ctx)) }, status);
  }

  return router;
}

/** The message of a refusal the developer can correct, or undefined for anything else (rethrown). */
function inputErrorMessage(error: unknown): string | undefined {
  if (error instanceof PortalInputError) return error.message;
  // The registration policy's words name CLI flags in places (`--name`); the rule is what matters.
  if (error instanceof ClientInputError) return `Not accepted: ${error.message.replace(/--redirect-uri\b/g, 'redirect URI').replace(/--name\b/g, 'the app name')}.`;
  return undefined;
}
