import Router from '@koa/router';
import {
  ClientInputError, createPartnerApp, deletePartnerApp, getPartnerApp, revokePreviousClientSecret, rotateClientSecret,
  updatePartnerAppRedirectUris,
} from '@payapi/auth-server';
import type { Context } from 'koa';
import { redirect } from '../developers/routes.ts';
import { PortalInputError } from '../http/errors.ts';
import type { FieldError } from '../http/form-errors.ts';
import { errorTitle } from '../http/form-errors.ts';
import { confirmed, formOf, parseForm, textField } from '../http/forms.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { pageFrame, requireSession, sessionCsrfToken, signedIn } from '../sessions/session-middleware.ts';
import { renderPage } from '../views/render.ts';
import { APP_NOTICES, renderAppPage } from './app-page.ts';
import { appPath, loadOwnedApp, ownedApp, statusLabel } from './load-owned-app.ts';
import { APPS_PER_DEVELOPER_MAX, checkAppLimit, forgetApp, listOwnedApps, recordApp } from './owned-apps.ts';
import { readRedirectUris } from './redirect-uris.ts';

const NAME_FIELD_MAX = 200;
const REDIRECT_URIS_FIELD_MAX = 8 * 1024;
/** The ids of the inputs the error summary links to. */
const NAME_FIELD = 'name';
const REDIRECT_URIS_FIELD = 'redirect_uris';

/**
 * The developer's apps: `/apps` (list, Create app), `/apps/new` (App name, Redirect URIs, Create),
 * and under `/apps/:clientId` (only the developer's own, else 404) the app's page, Save (redirect
 * URIs), Rotate secret, Revoke previous secret and Delete app (after a confirmation page). A new or
 * rotated secret goes to the page through the one-time cookie (`ShowOnce`) and is never stored or
 * logged by the portal.
 *
 * Buttons that open a page (Create app; Delete app on the app's page) are POST forms answered with
 * a redirect (303) to it: a button for assistive technology and `getByRole('button')`, and a clean
 * URL (a GET form without fields would add a bare `?`).
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
    renderPage(ctx, 'apps', {
      ...pageFrame(deps, ctx, 'Your apps'), formCsrf: sessionCsrfToken(deps, signedIn(ctx)), apps, appsMax: APPS_PER_DEVELOPER_MAX, notice: done,
    });
  });

  router.get('/apps/new', session, (ctx) => renderNewApp(ctx, { name: '', redirectUris: '', errors: [] }));

  // The list's Create app button.
  router.post('/apps/new', parseForm, session, (ctx) => redirect(ctx, '/apps/new'));

  router.post('/apps', parseForm, session, async (ctx) => {
    const form = formOf(ctx);
    const name = textField(form, 'name', NAME_FIELD_MAX).trim();
    const redirectUrisText = textField(form, 'redirect_uris', REDIRECT_URIS_FIELD_MAX);
    const developer = signedIn(ctx).developer;
    const refuse = (errors: FieldError[]): void => renderNewApp(ctx, { name, redirectUris: redirectUrisText, errors }, 422);
    const reading = readRedirectUris(redirectUrisText);
    const errors: FieldError[] = [
      ...(name.length === 0 ? [{ field: NAME_FIELD, message: 'Enter a name for the app.' }] : []),
      ...reading.problems.map((message) => ({ field: REDIRECT_URIS_FIELD, message })),
    ];
    if (errors.length > 0) return refuse(errors);
    let created: { clientId: string; clientSecret: string };
    try {
      created = await deps.db.transaction(async (trx) => {
        await checkAppLimit(trx, developer.id);
        const app = await createPartnerApp(trx, { name, redirectUris: reading.uris, owner: developer.id }, { environment: deps.config.environment });
        await recordApp(trx, app.clientId, developer.id);
        return app;
      });
    } catch (error) {
      if (error instanceof PortalInputError) return refuse([{ field: null, message: error.message }]);
      // The redirect URIs passed the same policy above: what is left is the name.
      if (error instanceof ClientInputError) return refuse([{ field: NAME_FIELD, message: `Not accepted: ${error.message}.` }]);
      throw error;
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
    const refuse = (errors: FieldError[]) => renderAppPage(deps, ctx, app, { errors, errorForm: 'redirect-uris', redirectUrisText: text }, 422);
    const reading = readRedirectUris(text);
    if (reading.problems.length > 0) return refuse(reading.problems.map((message) => ({ field: REDIRECT_URIS_FIELD, message })));
    try {
      await updatePartnerAppRedirectUris(deps.db, app.clientId, reading.uris);
    } catch (error) {
      if (error instanceof ClientInputError) return refuse([{ field: null, message: `Not accepted: ${error.message}.` }]);
      throw error;
    }
    redirect(ctx, `${appPath(app.clientId)}?done=saved`);
  });

  router.post('/apps/:clientId/secret', parseForm, session, owned, async (ctx) => {
    const app = ownedApp(ctx);
    const rotated = await rotateClientSecret(deps.db, app.clientId, { environment: deps.config.environment });
    await deps.showOnce.put(ctx, signedIn(ctx).idHash, {
      kind: 'client_secret', clientId: app.clientId, secret: rotated.clientSecret, previousSecretExpiresAt: rotated.previousSecretExpiresAt,
    });
    redirect(ctx, appPath(app.clientId));
  });

  router.post('/apps/:clientId/secret/revoke-previous', parseForm, session, owned, async (ctx) => {
    const app = ownedApp(ctx);
    const { revoked } = await revokePreviousClientSecret(deps.db, app.clientId);
    redirect(ctx, `${appPath(app.clientId)}?done=${revoked ? 'previous-secret-revoked' : 'no-previous-secret'}`);
  });

  // Delete app: the app page's button leads here (a 303 to the confirmation page), the
  // confirmation page's button (with `confirm=yes`) deletes.
  router.get('/apps/:clientId/delete', session, owned, (ctx) => {
    const app = ownedApp(ctx);
    renderPage(ctx, 'app-delete', { ...pageFrame(deps, ctx, `Delete ${app.name}?`), formCsrf: sessionCsrfToken(deps, signedIn(ctx)), app });
  });

  router.post('/apps/:clientId/delete', parseForm, session, owned, async (ctx) => {
    const app = ownedApp(ctx);
    if (!confirmed(formOf(ctx))) return redirect(ctx, `${appPath(app.clientId)}/delete`);
    // Grants, tokens, secrets and webhook endpoints go with it (see `deletePartnerApp`).
    await deletePartnerApp(deps.db, app.clientId);
    await forgetApp(deps.db, signedIn(ctx).developer.id, app.clientId);
    redirect(ctx, '/apps?done=deleted');
  });

  function renderNewApp(ctx: Context, form: { name: string; redirectUris: string; errors: FieldError[] }, status = 200): void {
    renderPage(ctx, 'app-new', {
      ...pageFrame(deps, ctx, errorTitle('Create an app', form.errors)), ...form, formCsrf: sessionCsrfToken(deps, signedIn(ctx)),
    }, status);
  }

  return router;
}
