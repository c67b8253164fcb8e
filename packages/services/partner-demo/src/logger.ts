/**
 * The partner demo's logger and request log: pino and pino-http with the same line fields and the
 * same censored paths as the bank's services (`createLogger` and `requestLogger` of
 * `@payapi/platform`). They are written out here rather than imported because a partner's app
 * imports nothing of the bank's code (docs/partner-integration.md); logger.test.ts checks the
 * field names against those the bank's services' log test expects.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** Every value `LOG_LEVEL` accepts. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Censored wherever a caller puts them: credentials in headers (the session cookie both ways,
 * `Authorization` with our client secret or an access token) and the secret fields of OAuth
 * answers. The request log never writes headers or bodies; this is the second line.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization', 'req.headers.dpop', 'req.headers.cookie', 'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization', 'headers.dpop', 'headers.cookie', 'headers["set-cookie"]', 'headers["proxy-authorization"]',
  ...['password', 'client_secret', 'access_token', 'refresh_token', 'id_token', 'initial_access_token']
    .flatMap((field) => [field, `*.${field}`]),
];

/** `x-fapi-interaction-id`: echoed when 1..128 visible ASCII characters, else a new UUID (FAPI 1.0 Part 1 §6.2.1 item 11). */
const INTERACTION_ID = /^[\x21-\x7e]{1,128}$/;
/** The bank's account ids keep only their last four hex digits in logged paths, as in the bank's own logs. */
const ACCOUNT_ID = /acc_[0-9a-f]{28}([0-9a-f]{4})/g;
const interactionIds = new WeakMap<IncomingMessage, string>();

/** An error as logged: type, message, stack and a string code; nothing else it carries (an HTTP client error keeps the answer it got). */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const serialized = pino.stdSerializers.err(error);
  const code = (error as { code?: unknown }).code ?? (error as { error?: unknown }).error;
  return { type: serialized.type, message: serialized.message, stack: serialized.stack, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * The partner demo's logger: JSON lines with `"service":"partner-demo"`.
 *
 * @param level `LOG_LEVEL` (see `loadPartnerDemoConfig`)
 * @param destination where lines go (default stdout)
 */
export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'partner-demo' },
    redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' },
    serializers: { err: serializeError },
  }, destination);
}

/**
 * Express middleware: gives each request an interaction id (echoed or new, also on the answer)
 * and writes one line per answer with `reqId`, `interactionId`, `req.method`, `req.path` (no query:
 * `/callback` carries the authorization code and `state`), `res.statusCode` and `responseTime`
 * (ms). There is no `clientId`: the callers here are browsers, not OAuth clients.
 *
 * @returns middleware that sets `req.log` and never throws
 */
export function requestLogger(logger: Logger): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const log = pinoHttp({
    logger,
    genReqId: () => randomUUID(),
    quietReqLogger: true,
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { originalUrl?: string }) => ({ method: req.method, path: loggablePath(req.originalUrl ?? req.url ?? '') }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: serializeError,
    },
    customProps: (req) => ({ interactionId: interactionIds.get(req) }),
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
  });
  return (req, res, next) => {
    const received = req.headers['x-fapi-interaction-id'];
    const id = typeof received === 'string' && INTERACTION_ID.test(received) ? received : randomUUID();
    interactionIds.set(req, id);
    res.setHeader('x-fapi-interaction-id', id);
    log(req, res, next);
  };
}

/** The path only, percent-decoded, account ids masked; a query is replaced by `?[query omitted]`. */
function loggablePath(url: string): string {
  const [path = '', query] = url.split('?', 2);
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Malformed escapes: keep the raw path.
  }
  return decoded.replace(ACCOUNT_ID, 'acc_…$1') + (query === undefined ? '' : '?[query omitted]');
}
