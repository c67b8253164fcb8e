import { join } from 'node:path';
import { Eta } from 'eta';
import type { Context } from 'koa';

/** Templates with auto-escaping on: every `<%= %>` is HTML-escaped; nothing uses the raw `<%~ %>` with user data. */
const eta = new Eta({ views: join(import.meta.dirname, 'templates'), autoEscape: true, cache: true });

/**
 * Renders a page into the response: HTML, never cached (pages carry personal data and one-time
 * form state). Security headers (CSP, frame-ancestors) come from the server-wide middleware.
 */
export function renderPage(ctx: Context, template: string, data: Record<string, unknown>, status = 200): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.body = eta.render(`./${template}`, data);
}

/** What an error page says. */
export interface ErrorPage {
  title: string;
  message: string;
  /** OAuth error code or similar, shown small for support. */
  code?: string | undefined;
  status: number;
}

/** Renders the error page (unknown client, mismatched redirect URI, expired interaction…): never a redirect. */
export function renderErrorPage(ctx: Context, page: ErrorPage): void {
  renderPage(ctx, 'error', { title: page.title, message: page.message, code: page.code ?? null }, page.status);
}
