import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';

/** A client's interaction id is echoed when it is 1..128 visible ASCII characters; anything else is replaced (FAPI 1.0 §6.2.1 item 11). */
const INTERACTION_ID = /^[\x21-\x7e]{1,128}$/;

const byRequest = new WeakMap<Request, string>();

/**
 * First middleware: every answer carries `x-fapi-interaction-id`, the client's own when
 * well-formed (echoed), else a new UUID.
 */
export const interactionId: RequestHandler = (req, res, next) => {
  const received = req.headers['x-fapi-interaction-id'];
  const id = typeof received === 'string' && INTERACTION_ID.test(received) ? received : randomUUID();
  byRequest.set(req, id);
  res.set('x-fapi-interaction-id', id);
  next();
};

/** The interaction id of a request (after {@link interactionId}), for logs. */
export function interactionIdOf(req: Request): string | undefined {
  return byRequest.get(req);
}
