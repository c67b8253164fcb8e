import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The header that ties a client's call to our logs (FAPI 1.0 Part 1 §6.2.1 item 11). */
export const INTERACTION_ID_HEADER = 'x-fapi-interaction-id';

/** A client's interaction id is echoed when it is 1..128 visible ASCII characters; anything else is replaced. */
const INTERACTION_ID = /^[\x21-\x7e]{1,128}$/;

const byRequest = new WeakMap<IncomingMessage, string>();

/**
 * Gives the request its interaction id and puts it on the answer: the client's own
 * `x-fapi-interaction-id` when well-formed (echoed), else a new UUID (FAPI 1.0 Part 1 §6.2.1
 * item 11). Call it first, before anything can answer, so every answer carries it and every log
 * line of the request can name it.
 *
 * @param req the request (Express's `req`, Koa's `ctx.req`)
 * @param res its response; the header is set on it now
 * @returns the id
 */
export function assignInteractionId(req: IncomingMessage, res: ServerResponse): string {
  const received = req.headers[INTERACTION_ID_HEADER];
  const id = typeof received === 'string' && INTERACTION_ID.test(received) ? received : randomUUID();
  byRequest.set(req, id);
  res.setHeader(INTERACTION_ID_HEADER, id);
  return id;
}

/**
 * {@link assignInteractionId} as connect/Express middleware.
 *
 * @param next called at once; nothing is thrown
 */
export function interactionId(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  assignInteractionId(req, res);
  next();
}

/** The interaction id given to `req` by {@link assignInteractionId}; undefined before it ran. */
export function interactionIdOf(req: IncomingMessage): string | undefined {
  return byRequest.get(req);
}
