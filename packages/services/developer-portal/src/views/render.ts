import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PayapiEnvironment } from '@payapi/platform';
import { Eta } from 'eta';
import type { Context } from 'koa';

/** Templates with auto-escaping on: every `<%= %>` is HTML-escaped; `<%~ %>` is used only for the layout's body. */
const eta = new Eta({ views: join(import.meta.dirname, 'templates'), autoEscape: true, cache: true });

/** The stylesheet, read once at start and served from memory. */
export const STYLESHEET = readFileSync(join(import.meta.dirname, 'style.css'), 'utf8');

/** What the layout shows around every page. */
export interface PageFrame {
  /** The page's title (also its `<h1>` in most templates). */
  title: string;
  environment: PayapiEnvironment;
  /** The signed-in developer's email, or null. */
  signedInAs: string | null;
  /** The session's CSRF token for the Sign out form, or null when signed out. */
  csrfToken: string | null;
}

/**
 * Renders a page into the response: HTML, never stored by any cache (pages carry credentials once
 * and one-time form state). Security headers come from the portal-wide middleware.
 *
 * @param template a file of `templates/` without `.eta`
 * @param data the template's `it`, with the frame the layout needs
 * @param status HTTP status (200; 404, 403, 422, 429 for the pages that say why)
 */
export function renderPage(ctx: Context, template: string, data: PageFrame & Record<string, unknown>, status = 200): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.body = eta.render(`./${template}`, data);
}
