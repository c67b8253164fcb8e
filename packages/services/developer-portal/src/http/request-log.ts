import { INTERACTION_ID_HEADER, assignInteractionId, requestLogger } from '@payapi/platform';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

/**
 * The shared request log of `@payapi/platform` (one line per answer: request id, interaction id,
 * method, path without the query, status, duration; never headers or bodies, so neither the
 * session cookie, the sealed one-time cookie nor a form's password reaches a log line) and the
 * `x-fapi-interaction-id` answer header, as Koa middleware.
 *
 * @param logger the portal's logger (`createLogger('developer-portal', level)`)
 * @returns Koa middleware to put first; it rethrows what the rest throws
 */
export function koaRequestLog(logger: Logger) {
  const log = requestLogger(logger);
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const interactionId = assignInteractionId(ctx.req, ctx.res);
    log(ctx.req, ctx.res);
    try {
      await next();
    } catch (error) {
      // Koa drops the headers set so far when it answers an uncaught error; keep the id.
      if (error instanceof Error) {
        const withHeaders = error as Error & { headers?: Record<string, string> };
        withHeaders.headers = { ...withHeaders.headers, [INTERACTION_ID_HEADER]: interactionId };
      }
      throw error;
    }
  };
}
