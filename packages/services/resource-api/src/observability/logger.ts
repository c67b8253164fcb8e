import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { HttpLogger } from 'pino-http';
import { interactionIdOf } from './interaction-id.ts';

/** Account ids in logged URLs keep only their last four hex digits (no full account numbers in logs). */
const ACCOUNT_ID = /acc_[0-9a-f]{28}([0-9a-f]{4})/g;

/**
 * The service logger (pino, JSON lines). Credentials never reach it: `Authorization`, `DPoP`,
 * `Cookie` headers are redacted wherever they appear.
 *
 * @param level pino level (`LOG_LEVEL`)
 * @param destination where lines go (default stdout); tests pass a stream to read them
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'resource-api' },
    redact: { paths: ['req.headers.authorization', 'req.headers.dpop', 'req.headers.cookie', 'headers.authorization', 'headers.dpop'], censor: '[redacted]' },
  }, destination);
}

/**
 * Request logging: `req.log` is a child logger whose every line carries `reqId` (a new UUID per
 * request) and the FAPI interaction id; one line per answer with method, masked URL, status and
 * duration. Headers are not logged at all (they hold tokens and proofs).
 */
export function requestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: () => randomUUID(),
    quietReqLogger: true,
    customProps: (req: IncomingMessage) => ({ interactionId: interactionIdOf(req as Request) }),
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: loggablePath(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
  });
}

/**
 * The request target as logged: the path only, percent-decoded, account ids masked. The query is
 * never logged: clients sometimes put `access_token=…` there by mistake (RFC 6750 §2.3), and it
 * may carry cursors and dates that identify a user's activity.
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

/** Replaces each full account id in `text` by `acc_…` and its last four hex digits. */
export function maskAccountIds(text: string): string {
  return text.replace(ACCOUNT_ID, 'acc_…$1');
}
