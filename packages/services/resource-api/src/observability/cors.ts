import type { RequestHandler } from 'express';

/**
 * CORS, closed unless origins are configured (`CORS_ORIGINS`): a listed origin gets
 * `Access-Control-Allow-Origin` for itself (never `*`, no credentials: tokens travel in headers),
 * and preflights are answered with the methods and headers the API uses; the answer headers a
 * script may read are exposed (the rate-limit fields among them). Others get no CORS
 * headers, so browsers keep their answers from scripts.
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (allowed.size === 0 || typeof origin !== 'string') {
      next();
      return;
    }
    res.vary('Origin');
    if (!allowed.has(origin)) {
      next();
      return;
    }
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Expose-Headers', 'x-fapi-interaction-id, Idempotent-Replayed, Location, WWW-Authenticate, Retry-After, RateLimit-Policy, RateLimit');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.set('Access-Control-Allow-Methods', 'GET, POST');
      res.set('Access-Control-Allow-Headers', 'Authorization, DPoP, Content-Type, Idempotency-Key, x-fapi-interaction-id');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
