import { scriptFreePageHelmetOptions } from '@payapi/platform';
import helmet from 'koa-helmet';

/**
 * The page policy of a page without script ({@link scriptFreePageHelmetOptions}: CSP
 * `default-src 'none'`, styles and images from the portal, forms posting only to it,
 * `frame-ancestors 'none'`, `X-Frame-Options: DENY`, HSTS over https). `Cache-Control: no-store` is
 * set per page by `renderPage`.
 *
 * @param https whether the portal's public URL is https
 * @returns Koa middleware
 */
export function securityHeaders(https: boolean) {
  return helmet({ ...scriptFreePageHelmetOptions(https), crossOriginResourcePolicy: false });
}
