import helmet from 'koa-helmet';

/**
 * The page policy of the authorization server's pages (docs/authorization-server.md, "Pages"): CSP
 * `default-src 'none'` with no script at all (the portal has none), styles and images from itself,
 * `frame-ancestors 'none'`, forms posting only to the portal; `X-Frame-Options: DENY`; HSTS when
 * served over https. `Cache-Control: no-store` is set per page by `renderPage`.
 *
 * @param https whether the portal's public URL is https
 * @returns Koa middleware
 */
export function securityHeaders(https: boolean) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: https,
    crossOriginResourcePolicy: false,
  });
}
