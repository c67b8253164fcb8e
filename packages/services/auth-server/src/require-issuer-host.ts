import type { Context, Next } from 'koa';
import { renderErrorPage } from './views/render.ts';

/**
 * Answers 421 Misdirected Request (RFC 9110 §15.5.20), in every mode, when the request's host is
 * not the issuer's. oidc-provider builds the endpoint URLs of its discovery document (`token_endpoint`,
 * `jwks_uri`…) from the request, so a forged Host header would otherwise point clients, or a shared
 * cache, elsewhere while `issuer` stays unchanged (RFC 8414 §3.3 requires the issuer to match).
 *
 * The host compared is Koa's `ctx.host`, the one oidc-provider uses: the Host header (HTTP/2
 * `:authority`), or, behind trusted proxies (`TRUST_PROXY_HOPS` > 0), the first X-Forwarded-Host;
 * and the host of an absolute-form request target, which Koa prefers for `ctx.href`.
 * Both sides are normalised as URL hosts (lower case, default port dropped), nothing else is
 * accepted: no aliases, not even `127.0.0.1` for an issuer on `localhost`. An alias would need the
 * request rewritten to the issuer's host, and a browser that came by the alias would then keep
 * its cookies on one host while every redirect sends it to the other; the 421 page names the URL
 * to use instead.
 *
 * @param issuer the configured issuer URL (`AUTH_ISSUER`)
 * @returns Koa middleware; put it first, after the security headers
 */
export function requireIssuerHost(issuer: string) {
  const issuerUrl = new URL(issuer);
  const expected = issuerUrl.host;
  // The Host header as clients send it is nearly always the same string: the last one that
  // normalised to the issuer's host is not parsed again (a URL per request is most of this step's cost).
  let acceptedHost: string | undefined;
  const isIssuerHost = (host: string): boolean => {
    if (host === acceptedHost) return true;
    if (normalisedHost(issuerUrl.protocol, host) !== expected) return false;
    acceptedHost = host;
    return true;
  };
  return async function checkHost(ctx: Context, next: Next): Promise<void> {
    if (!isIssuerHost(ctx.host) || !absoluteTargetMatches(ctx.originalUrl, expected)) {
      renderErrorPage(ctx, {
        title: 'Wrong host',
        message: `This server answers for ${expected} only: use ${issuerUrl.origin}.`,
        code: 'misdirected_request',
        status: 421,
      });
      return;
    }
    await next();
  };
}

/**
 * False when the request line carries an absolute-form target (RFC 9112 §3.2.2, `GET
 * http://evil.example/… HTTP/1.1`) for another host: Koa builds `ctx.href`, and so oidc-provider its
 * discovery URLs, from such a target rather than from the Host header. Origin-form targets (`/…`)
 * and `*` always match.
 */
function absoluteTargetMatches(target: string, expected: string): boolean {
  if (target.startsWith('/') || target === '*') return true;
  try {
    return new URL(target).host === expected;
  } catch {
    return false;
  }
}

/** `host` as a URL's host (`Auth.Example:443` over https is `auth.example`); undefined when it is not a host. */
function normalisedHost(protocol: string, host: string): string | undefined {
  if (host === '' || /[\s/\\?#@]/.test(host)) return undefined;
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return undefined;
  }
}
