import type { Context, Next } from 'koa';
import helmet from 'koa-helmet';
import type { AuthServerConfig } from './config.ts';

/**
 * The endpoints that partners' servers call and that answer JSON (RFC 6749 §5.1, RFC 7662 §2.2,
 * RFC 7009 §2.2): no browser renders these answers, so the page policy has nothing to protect
 * there, and on the busiest endpoints its dozen headers cost the server and every client about
 * 5 % of a request (docs/performance.md).
 */
const JSON_API_PATHS: ReadonlySet<string> = new Set(['/token', '/token/introspection', '/token/revocation']);

/**
 * The security headers of every answer (docs/authorization-server.md, "Pages"): helmet with our
 * page policy, CSP without inline script and `frame-ancestors 'none'`, `X-Frame-Options: DENY`,
 * HSTS in production only (plain http on localhost otherwise). A JSON (or empty) answer of
 * {@link JSON_API_PATHS} gets `X-Content-Type-Options: nosniff` (and HSTS in production) instead;
 * anything else those paths answer (an HTML error page, a 421 for a wrong host) gets the page policy,
 * set once the answer is known.
 *
 * @param config `production` decides HSTS
 * @returns Koa middleware; put it before anything that can answer
 */
export function securityHeaders(config: AuthServerConfig) {
  const pagePolicy = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        // No inline script of ours. oidc-provider adds the hash of its own auto-submit script
        // (form_post responses, logout) to script-src when the directive is present.
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        // No form-action: browsers apply it to the redirect back to the partner after a form post.
      },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: config.production,
    crossOriginResourcePolicy: false,
  });
  const strictTransportSecurity = helmet.strictTransportSecurity();
  return async function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    if (!JSON_API_PATHS.has(ctx.path)) {
      await pagePolicy(ctx, next);
      return;
    }
    await next();
    // JSON, or nothing at all (revocation's 200 has an empty body, RFC 7009 §2.2).
    if (ctx.response.type === 'application/json' || ctx.body === '' || ctx.body == null) {
      ctx.set('X-Content-Type-Options', 'nosniff');
      if (config.production) await strictTransportSecurity(ctx, async () => undefined);
      return;
    }
    await pagePolicy(ctx, async () => undefined);
  };
}
