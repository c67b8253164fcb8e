import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The form field every POST form of the portal carries. */
export const CSRF_FIELD = 'csrf';

/**
 * The CSRF token of a form: HMAC-SHA256 under the portal's session secret of what the form is bound
 * to, base64url (OWASP CSRF Prevention Cheat Sheet, "Signed Double-Submit Cookie"). Signed-in forms
 * are bound to the session id, the sign-in and sign-up forms to a random cookie of their own
 * (login CSRF). An attacker's page can neither read the cookie nor compute the HMAC, and SameSite=Lax
 * keeps the cookies off cross-site POSTs besides.
 *
 * @param binding `session:<session id>` or `anonymous:<csrf cookie>`
 */
export function csrfToken(secret: string, binding: string): string {
  return createHmac('sha256', secret).update(`csrf:${binding}`).digest('base64url');
}

/** True when `sent` is the token of `binding`, compared in constant time. */
export function isValidCsrfToken(secret: string, binding: string, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const expected = Buffer.from(csrfToken(secret, binding));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A new random value for the anonymous CSRF cookie: 32 bytes, base64url. */
export function newCsrfCookieValue(): string {
  return randomBytes(32).toString('base64url');
}
