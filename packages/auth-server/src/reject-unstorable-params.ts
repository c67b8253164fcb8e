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

/**
 * In production, answers 421 (Misdirected Request, RFC 9110 §15.5.20) when the Host header is not
 * the issuer's host: oidc-provider builds the endpoint URLs of its discovery document from the
 * request, so a forged Host could otherwise point clients elsewhere through a shared cache.
 */
export function requireIssuerHost(issuer: string) {
  const expected = new URL(issuer).host.toLowerCase();
  return async function checkHost(ctx: Context, next: Next): Promise<void> {
    if (ctx.host.toLowerCase() !== expected) {
      renderErrorPage(ctx, { title: 'Wrong host', message: `This server answers for ${expected} only.`, code: 'misdirected_request', status: 421 });
      return;
    }
    await next();
  };
}
