/**
 * The helmet options of a server-rendered page of the bank's without any script (the developer
 * portal's; the partner demo has the same policy written out, since a partner's app imports nothing
 * of the bank's code; the authorization server's differs: oidc-provider's own scripts and no
 * `form-action`, see its middleware stack): CSP `default-src 'none'` with styles and images from the
 * site itself, forms posting only to it, no `<base>`, `frame-ancestors 'none'` (and `X-Frame-Options:
 * DENY` for older browsers), HSTS only when the site is served over https (a localhost demo over
 * http must not pin https). docs/security.md, "Pages".
 *
 * @param https whether the site's public URL is https
 * @returns options for `helmet` (Express) or `koa-helmet`
 */
export function scriptFreePageHelmetOptions(https: boolean) {
  return {
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
    frameguard: { action: 'deny' as const },
    strictTransportSecurity: https,
  };
}
