import type { IncomingMessage } from 'node:http';
import { INTERACTION_ID_HEADER, assignInteractionId, requestLogger } from '@payapi/platform';
import type { Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';

/**
 * The shared request log of `@payapi/platform` (one line per answer: request id, interaction id,
 * method, path, status, duration, client id) and the `x-fapi-interaction-id` answer header
 * (FAPI 1.0 Part 1 §6.2.1 item 11), as Koa middleware for the provider. The client id is the one
 * oidc-provider loaded for the request (`ctx.oidc.client`: token, introspection, revocation,
 * authorization and registration endpoints), read once the provider is done with the request;
 * our own pages log none.
 *
 * @param logger the service's logger
 * @returns Koa middleware; the first of the provider's stack, so every answer is logged and
 *   carries the interaction id. It rethrows whatever the rest of the stack throws.
 */
export function koaRequestLog(logger: Logger) {
  const clientIds = new WeakMap<IncomingMessage, string>();
  const log = requestLogger(logger, { clientIdOf: (req) => clientIds.get(req) });
  return async function logRequest(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    const interactionId = assignInteractionId(ctx.req, ctx.res);
    log(ctx.req, ctx.res);
    try {
      await next();
    } catch (error) {
      // Koa answers an uncaught error after removing every header set so far, then sets the
      // error's own `headers`: the interaction id goes there to survive.
      if (error instanceof Error) {
        const withHeaders = error as Error & { headers?: Record<string, string> };
        withHeaders.headers = { ...withHeaders.headers, [INTERACTION_ID_HEADER]: interactionId };
      }
      throw error;
    } finally {
      const clientId = ctx.oidc?.client?.clientId;
      if (clientId !== undefined) clientIds.set(ctx.req, clientId);
    }
  };
}
