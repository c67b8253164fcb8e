import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { interactionIdOf } from './interaction-id.ts';
import { serializeError } from './logger.ts';

/** Account ids in logged paths keep only their last four hex digits (no full account numbers in logs). */
const ACCOUNT_ID = /acc_[0-9a-f]{28}([0-9a-f]{4})/g;

/** The key pino-http binds the request under in a child logger no line uses (see `requestLogger`). */
const UNUSED_REQUEST_BINDING = 'unusedRequestBinding';

/** What the request log needs to know of a service. */
export interface RequestLogOptions {
  /**
   * The OAuth client the request ran for, once the service knows it (the resource API: the access
   * token's `client_id`; the authorization server: the client oidc-provider authenticated or
   * loaded). Read when the answer is finished; undefined leaves the field out.
   */
  clientIdOf?: (req: IncomingMessage) => string | undefined;
}

/**
 * The request log of every service: one line per answer, at `info` (`error` for a 5xx or a
 * failed response), with the same fields everywhere:
 *
 *   reqId          a new UUID per request; also on every line logged through `req.log`
 *   interactionId  the request's `x-fapi-interaction-id` (run `assignInteractionId` first)
 *   req.method     the HTTP method
 *   req.path       the path only, percent-decoded, account ids masked (see {@link loggablePath})
 *   res.statusCode the status answered
 *   responseTime   milliseconds from the request to the end of the answer
 *   clientId       the OAuth client, where the service knows it ({@link RequestLogOptions.clientIdOf})
 *
 * Headers, bodies and query strings are never written: they carry tokens, client secrets,
 * passwords and DPoP proofs.
 *
 * @param logger the service's logger (`createLogger`)
 * @returns node-style middleware `(req, res, next?)`: Express takes it as it is, Koa calls it with
 *   `ctx.req`, `ctx.res`; it sets `req.log` and never throws
 */
export function requestLogger(logger: Logger, options: RequestLogOptions = {}): (req: IncomingMessage, res: ServerResponse, next?: () => void) => void {
  // The line's request fields are added when the answer is done, and only when its level is
  // written: pino-http's per-request child loggers with bindings (`customProps`, the request
  // serialized and redacted up front) were most of the log's cost on the authorization server's
  // token and introspection endpoints (about 20 -> 10 µs a request measured alone;
  // docs/performance.md), for lines that a service at LOG_LEVEL=warn never writes.
  const answerFields = (req: IncomingMessage, value: Record<string, unknown>): Record<string, unknown> => {
    const clientId = options.clientIdOf?.(req);
    return { interactionId: interactionIdOf(req), req, ...value, ...(clientId === undefined ? {} : { clientId }) };
  };
  return pinoHttp({
    logger,
    genReqId: () => randomUUID(),
    quietReqLogger: true,
    quietResLogger: true,
    // With both loggers quiet, pino-http still makes a child logger bound to the request under this
    // key that no line uses: its serializer drops the binding, so nothing is serialized or redacted
    // for it. The line's `req` comes from `answerFields`.
    customAttributeKeys: { req: UNUSED_REQUEST_BINDING },
    // Our serializers read the raw objects: nothing of pino's standard request object (headers,
    // query, remote address) is built only to be thrown away.
    wrapSerializers: false,
    serializers: {
      [UNUSED_REQUEST_BINDING]: () => undefined,
      req: (req: IncomingMessage & { originalUrl?: string }) => ({ method: req.method, path: loggablePath(req.originalUrl ?? req.url ?? '') }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: serializeError,
    },
    customSuccessObject: (req, _res, value: Record<string, unknown>) => answerFields(req, value),
    customErrorObject: (req, _res, _error, value: Record<string, unknown>) => answerFields(req, value),
    // `silent` when the level is not written: pino-http then builds nothing for the line.
    customLogLevel: (_req, res, error) => {
      const level = error || res.statusCode >= 500 ? 'error' : 'info';
      return logger.isLevelEnabled(level) ? level : 'silent';
    },
  });
}

/**
 * The request target as logged: the path only, percent-decoded, account ids masked. The query is
 * never logged, only that there was one: clients sometimes put `access_token=…` there by mistake
 * (RFC 6750 §2.3), authorization requests and redirects carry codes and `state`, and the rest
 * (cursors, dates) may identify a user's activity.
 *
 * @param url the request target (`/v1/accounts?limit=5`)
 * @returns e.g. `/v1/accounts?[query omitted]`
 */
export function loggablePath(url: string): string {
  const [path = '', query] = url.split('?', 2);
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Malformed escapes: keep the raw path (still masked below).
  }
  return maskAccountIds(decoded) + (query === undefined ? '' : '?[query omitted]');
}

/** Replaces each full ledger account id in `text` by `acc_…` and its last four hex digits. */
export function maskAccountIds(text: string): string {
  return text.replace(ACCOUNT_ID, 'acc_…$1');
}
