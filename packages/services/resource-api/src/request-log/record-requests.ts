import type { RequestHandler } from 'express';
import { interactionIdOf } from '@payapi/platform';
import { authenticatedClientIdOf } from '../auth/request-token.ts';
import { recordedPath } from './recorded-path.ts';
import type { RequestLog } from './request-log.ts';

/** Longest method kept, characters (Node accepts only registered methods; the column's check says the same). */
const METHOD_LENGTH_MAX = 16;

/**
 * Records each `/v1` call made with a valid access token in `log` when its answer has been sent
 * (`finish`): nothing here runs before the answer or makes it wait. A call without a valid token
 * (401) names no client and is not recorded; neither is a call whose answer never finished (the
 * client went away). The request id is the answer's `x-fapi-interaction-id`, the id the client
 * sees and the logs' `interactionId`. Mount it right after `interactionId`, so the duration counts
 * from the request's arrival.
 */
export function recordRequests(log: RequestLog): RequestHandler {
  return (req, res, next) => {
    const path = req.path;
    if (path === '/v1' || path.startsWith('/v1/')) {
      const requestedAtMs = Date.now();
      const started = performance.now();
      res.once('finish', () => {
        const clientId = authenticatedClientIdOf(req);
        const requestId = interactionIdOf(req);
        if (clientId === undefined || requestId === undefined) return;
        log.record({
          clientId,
          requestedAtMs,
          method: req.method.slice(0, METHOD_LENGTH_MAX),
          path: recordedPath(path),
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          requestId,
        });
      });
    }
    next();
  };
}
