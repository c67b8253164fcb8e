import { UserError } from '@payapi/auth-server';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { PortalDeps } from '../portal-deps.ts';
import { pageFrame } from '../sessions/session-middleware.ts';
import { renderPage } from '../views/render.ts';
import { PortalNotFoundError } from './errors.ts';

/** Renders the 404 page: an unknown path, or something that is not the signed-in developer's. */
export function renderNotFound(deps: PortalDeps, ctx: Context): void {
  renderPage(ctx, 'message', { ...pageFrame(deps, ctx, 'Page not found'), message: 'There is no such page, or it is not yours.' }, 404);
}

/**
 * Turns what the routes throw into pages: {@link PortalNotFoundError} into the 404 page, the body
 * parser's refusals (400, 413, 415) into a page with their status, the sign-in throttle's store
 * failing into 503, and anything else into a 500 page, logged with the request's logger (the error's
 * type, message and stack only: see `serializeError`).
 */
export function errorPages(deps: PortalDeps, logger: Logger) {
  return async function errorPagesStep(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) renderNotFound(deps, ctx);
    } catch (error) {
      if (error instanceof PortalNotFoundError) return renderNotFound(deps, ctx);
      const status = (error as { status?: unknown; expose?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
        return renderPage(ctx, 'message', { ...pageFrame(deps, ctx, 'Request refused'), message: 'The form could not be read: it is too large or not a form.' }, status);
      }
      if (error instanceof UserError && error.code === 'temporarily_unavailable') {
        return renderPage(ctx, 'message', { ...pageFrame(deps, ctx, 'Try again later'), message: 'Sign-in is temporarily unavailable.' }, 503);
      }
      (ctx.req as { log?: Logger }).log?.error({ err: error }, 'request failed') ?? logger.error({ err: error }, 'request failed');
      ctx.status = 500;
      renderPage(ctx, 'message', {
        title: 'Something went wrong', environment: deps.config.environment, signedInAs: null, csrfToken: null,
        message: 'The portal could not complete this request. Try again in a moment.',
      }, 500);
    }
  };
}
