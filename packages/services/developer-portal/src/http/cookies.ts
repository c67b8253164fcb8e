import type { Context } from 'koa';

/** The portal's cookies, by purpose. */
export interface CookieNames {
  /** The session id (32 random bytes, base64url); the server keeps its hash. */
  session: string;
  /** A random value the sign-in and sign-up forms' CSRF tokens are bound to, before there is a session. */
  csrf: string;
  /** A secret to show once after a redirect, sealed (see one-time.ts). */
  once: string;
}

/**
 * Cookie names: `__Host-` prefixed when the portal is served over https, so that the browser takes
 * them only from this very host, Secure, with `Path=/` (RFC 6265bis §4.1.3.2): a sibling subdomain
 * cannot plant a session or a CSRF cookie. Plain http (localhost) cannot have the prefix.
 */
export function cookieNames(secure: boolean): CookieNames {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}portal_session`, csrf: `${prefix}portal_csrf`, once: `${prefix}portal_once` };
}

/**
 * Adds a `Set-Cookie`: HttpOnly, SameSite=Lax, `Path=/`, Secure over https. Written by hand rather
 * than with Koa's `ctx.cookies.set`, which refuses Secure cookies unless the connection itself is
 * TLS: behind a TLS-terminating proxy the portal's own URL decides.
 *
 * @param value base64url or sealed text (no characters needing escapes)
 * @param maxAgeSeconds lifetime; 0 deletes the cookie; undefined makes a browser-session cookie
 */
export function setCookie(ctx: Context, name: string, value: string, options: { secure: boolean; maxAgeSeconds?: number }): void {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.secure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}

/** Deletes a cookie set by {@link setCookie}. */
export function clearCookie(ctx: Context, name: string, secure: boolean): void {
  setCookie(ctx, name, '', { secure, maxAgeSeconds: 0 });
}

/** A cookie's value as sent, or undefined when absent or empty. */
export function readCookie(ctx: Context, name: string): string | undefined {
  const value = ctx.cookies.get(name);
  return value === undefined || value === '' ? undefined : value;
}
