import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { INTERACTION_ID_HEADER, assignInteractionId } from './interaction-id.ts';
import { requestLogger } from './request-log.ts';

/** What {@link koaRequestLog} reads of a Koa context: the Node request and response. */
export interface KoaRequestLogContext {
  req: IncomingMessage;
  res: ServerResponse;
}

/**
 * {@link requestLogger} (one line per answer: request id, interaction id, method, path without the
 * query, status, duration, client id when known; never headers or bodies) and the
 * `x-fapi-interaction-id` answer header (FAPI 1.0 Part 1 §6.2.1 item 11), as Koa middleware.
 *
 * @param logger the service's logger
 * @param options `clientIdOf(ctx)`: the client the request was made by, read once the rest of the
 *   stack is done (the authorization server's `ctx.oidc.client`); without it no client id is logged
 * @returns Koa middleware to put first, so every answer is logged and carries the interaction id;
 *   it rethrows whatever the rest of the stack throws
 */
export function koaRequestLog<C extends KoaRequestLogContext>(logger: Logger, options: { clientIdOf?: (ctx: C) => string | undefined } = {}) {
  const { clientIdOf } = options;
  const clientIds = new WeakMap<IncomingMessage, string>();
  const log = requestLogger(logger, { clientIdOf: (req) => clientIds.get(req) });
  return async function logRequest(ctx: C, next: () => Promise<unknown>): Promise<void> {
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
      const clientId = clientIdOf?.(ctx);
      if (clientId !== undefined) clientIds.set(ctx.req, clientId);
    }
  };
}
