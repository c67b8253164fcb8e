import { getPartnerApp } from '@payapi/auth-server';
import type { Context, Next } from 'koa';
import { PortalNotFoundError } from '../http/errors.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { signedIn } from '../sessions/session-middleware.ts';
import { ownsApp } from './owned-apps.ts';

/** An app as the authorization server keeps it (`getPartnerApp`). */
export type PartnerApp = NonNullable<Awaited<ReturnType<typeof getPartnerApp>>>;

const loaded = new WeakMap<Context, PartnerApp>();

/**
 * For every route under `/apps/:clientId`, after `requireSession`: the app must be one of the
 * signed-in developer's (`portal.apps`) and still exist at the authorization server. Anything else,
 * another developer's app included, is a 404 exactly like an id that never existed, whatever the
 * method or form fields: every later step reads the app from here, never an id from the request.
 *
 * @throws {PortalNotFoundError} answered 404 by the error step
 */
export function loadOwnedApp(deps: PortalDeps) {
  return async function loadOwnedAppStep(ctx: Context, next: Next): Promise<void> {
    const clientId = String((ctx as Context & { params?: Record<string, string> }).params?.clientId ?? '');
    if (!(await ownsApp(deps.db, signedIn(ctx).developer.id, clientId))) throw new PortalNotFoundError();
    const app = await getPartnerApp(deps.db, clientId);
    if (!app) throw new PortalNotFoundError();
    loaded.set(ctx, app);
    await next();
  };
}

/**
 * The app {@link loadOwnedApp} loaded.
 *
 * @throws {Error} on a route without it (a bug)
 */
export function ownedApp(ctx: Context): PartnerApp {
  const app = loaded.get(ctx);
  if (!app) throw new Error('route needs loadOwnedApp');
  return app;
}

/** How the app's review status reads on the portal (contract: "Pending review" until approved in live). */
export function statusLabel(status: string): string {
  return status === 'pending_review' ? 'Pending review' : 'Approved';
}

/** The path of an app's page. */
export function appPath(clientId: string): string {
  return `/apps/${encodeURIComponent(clientId)}`;
}
