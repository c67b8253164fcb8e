import type { Context } from 'koa';
import { readCookie, setCookie } from '../http/cookies.ts';
import { CSRF_FIELD, csrfToken, isValidCsrfToken, newCsrfCookieValue } from '../http/csrf.ts';
import { formOf } from '../http/forms.ts';
import type { PortalDeps } from '../portal-deps.ts';

/**
 * The CSRF token of the sign-in and sign-up forms, which exist before any session: bound to a
 * random cookie of their own, set now when the browser has none (login CSRF: another site must not
 * be able to sign a victim into the attacker's account).
 */
export function anonymousFormToken(deps: PortalDeps, ctx: Context): string {
  let value = readCookie(ctx, deps.cookies.csrf);
  if (value === undefined || value.length > 100) {
    value = newCsrfCookieValue();
    setCookie(ctx, deps.cookies.csrf, value, { secure: deps.secureCookies });
  }
  return csrfToken(deps.config.sessionSecret, `anonymous:${value}`);
}

/** True when the posted form carries the token of the browser's CSRF cookie. */
export function hasAnonymousCsrf(deps: PortalDeps, ctx: Context): boolean {
  const value = readCookie(ctx, deps.cookies.csrf);
  return value !== undefined && isValidCsrfToken(deps.config.sessionSecret, `anonymous:${value}`, formOf(ctx)[CSRF_FIELD]);
}
