/**
 * The one redirect URI rule, for every way a client is registered (operator CLI, dynamic
 * registration, developer portal): an absolute URL without fragment or credentials, `https`, or
 * `http` on localhost/127.0.0.1/[::1] for development (RFC 9700 §2.1 and §4.1.3; RFC 6749 §3.1.2).
 * URIs are compared exactly at the authorization endpoint, so they are stored as given; and since
 * the rule is checked on the URL as the WHATWG URL Standard parses it, a URI must be written exactly
 * as that parser writes it back (`new URL(uri).href`). Otherwise what is checked is not what is
 * stored: `http://localhost\@evil.example/cb` is localhost to a browser but `evil.example` to an
 * RFC 3986 parser, and tabs, line breaks, spaces, upper-case schemes and hosts, Unicode host names,
 * bidirectional controls or `127.1` would be stored as typed while checked in another form.
 */

/** At most this many redirect URIs per client (and as many post-logout redirect URIs). */
export const REDIRECT_URIS_MAX = 10;

/**
 * Why `value` cannot be a redirect URI, in words that name it (its first 200 characters);
 * undefined when it can.
 */
export function redirectUriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'a redirect URI must be a string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `redirect URI is not an absolute URL: ${value.slice(0, 200)}`;
  }
  if (url.hash || value.includes('#') || url.username || url.password) return `redirect URI must not carry a fragment or credentials: ${value.slice(0, 200)}`;
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    return `redirect URI must be https (http only on localhost): ${value.slice(0, 200)}`;
  }
  if (url.href !== value) return `redirect URI must be written in its normal form, ${url.href.slice(0, 200)}: ${value.slice(0, 200)}`;
  return undefined;
}
