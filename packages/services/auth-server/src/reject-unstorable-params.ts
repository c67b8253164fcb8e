import type { Context, Next } from 'koa';
import { renderErrorPage } from './views/render.ts';

/**
 * Refuses, with a 400 page, a query string that is not well-formed percent-encoded UTF-8 or that
 * carries U+0000. oidc-provider keeps authorization parameters in PostgreSQL jsonb, which cannot
 * store U+0000: without this check `state=%00` would become a 500 when the interaction is saved.
 */
export async function rejectUnstorableParams(ctx: Context, next: Next): Promise<void> {
  const query = ctx.querystring;
  let decoded: string;
  try {
    decoded = decodeURIComponent(query.replace(/\+/g, ' '));
  } catch {
    renderErrorPage(ctx, { title: 'This request cannot be completed', message: 'The request parameters are not valid UTF-8.', code: 'invalid_request', status: 400 });
    return;
  }
  if (decoded.includes('\u0000') || !decoded.isWellFormed()) {
    renderErrorPage(ctx, { title: 'This request cannot be completed', message: 'The request parameters contain characters that are not allowed.', code: 'invalid_request', status: 400 });
    return;
  }
  await next();
}
