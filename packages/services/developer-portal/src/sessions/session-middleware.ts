import type { Context, Next } from 'koa';
import { readCookie } from '../http/cookies.ts';
import { CSRF_FIELD, csrfToken, isValidCsrfToken } from '../http/csrf.ts';
import type { PortalDeps } from '../portal-deps.ts';
import type { PageFrame } from '../views/render.ts';
import { renderPage } from '../views/render.ts';
import { readSession } from './sessions.ts';
import type { Session } from './sessions.ts';

const sessions = new WeakMap<Context, Session>();

/**
 * Loads the request's session from its cookie (see `readSession`: unknown, ended or idle for 12 h
 * means none), for every later step to read with {@link sessionOf}.
 */
export function loadSession(deps: PortalDeps) {
  return async function loadSessionStep(ctx: Context, next: Next): Promise<void> {
    const cookie = readCookie(ctx, deps.cookies.session);
    const session = cookie === undefined ? undefined : await readSession(deps.db, cookie, deps.config.sessionIdleSeconds);
    if (session) sessions.set(ctx, session);
    await next();
  };
}

/** The request's session, if {@link loadSession} found one. */
export function sessionOf(ctx: Context): Session | undefined {
  return sessions.get(ctx);
}

/**
 * The session of a request behind {@link requireSession}.
 *
 * @throws {Error} when called on a route without it (a bug)
 */
export function signedIn(ctx: Context): Session {
  const session = sessions.get(ctx);
  if (!session) throw new Error('route needs requireSession');
  return session;
}

/** The CSRF token of the forms of a signed-in page: bound to the session. */
export function sessionCsrfToken(deps: PortalDeps, session: Session): string {
  return csrfToken(deps.config.sessionSecret, `session:${session.idHash}`);
}

/** The layout's frame for a page, signed in or not. */
export function pageFrame(deps: PortalDeps, ctx: Context, title: string): PageFrame {
  const session = sessions.get(ctx);
  return {
    title,
    environment: deps.config.environment,
    signedInAs: session?.developer.email ?? null,
    csrfToken: session ? sessionCsrfToken(deps, session) : null,
  };
}

/**
 * Signed-in pages: without a session, a redirect (303) to `/signin`, for GET and POST alike (a
 * session that ran out while a form was open lands there too). On a POST, the form's CSRF token
 * must be the session's, else 403 and nothing is done.
 */
export function requireSession(deps: PortalDeps) {
  return async function requireSessionStep(ctx: Context, next: Next): Promise<void> {
    const session = sessions.get(ctx);
    if (!session) {
      ctx.status = 303;
      ctx.redirect('/signin');
      return;
    }
    if (ctx.method === 'POST') {
      const sent = (ctx.request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      if (!isValidCsrfToken(deps.config.sessionSecret, `session:${session.idHash}`, sent)) {
        renderCsrfRefusal(deps, ctx);
        return;
      }
    }
    await next();
  };
}

/** 403: a form without its token (or with another session's); nothing was done. */
export function renderCsrfRefusal(deps: PortalDeps, ctx: Context): void {
  renderPage(ctx, 'message', {
    ...pageFrame(deps, ctx, 'This form has expired'),
    message: 'Nothing was changed. Open the page again and resubmit the form.',
  }, 403);
}
