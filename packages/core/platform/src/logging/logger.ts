import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import { ConfigError } from '../config-error.ts';

/** A pino level, or `silent`: what `LOG_LEVEL` may say. */
export type LogLevel = LevelWithSilent;

/** Every value `LOG_LEVEL` accepts, most severe first (pino's own levels plus `silent`). */
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `LOG_LEVEL` when unset: one line per request, so an operator sees traffic without asking. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/**
 * What the loggers of every service censor, wherever a caller puts it: credentials in headers
 * (`Authorization` carries tokens and client secrets, `DPoP` proofs, session cookies both ways)
 * and the secret fields of OAuth bodies and of our own forms. The request log never writes headers
 * or bodies at all (see `requestLogger`); this list is the second line, for a `log.info({ headers })`
 * written by hand. Paths are pino's (fast-redact): `*.x` is `x` one level down.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization', 'req.headers.dpop', 'req.headers.cookie', 'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization', 'headers.dpop', 'headers.cookie', 'headers["set-cookie"]', 'headers["proxy-authorization"]',
  ...['password', 'client_secret', 'access_token', 'refresh_token', 'id_token', 'initial_access_token']
    .flatMap((field) => [field, `*.${field}`]),
];

/** What a censored value is replaced with. */
export const LOG_REDACT_CENSOR = '[redacted]';

/** An error as logged: what it is and where it came from, nothing it carries besides. */
export interface LoggedError {
  type: string;
  message: string;
  stack: string | undefined;
  /** A stable code (`ECONNREFUSED`, `40001`, an OAuth `error`), when the error has one. */
  code?: string;
}

/**
 * The `err` serializer of every logger: type, message (with its causes), stack and a string
 * `code`. Other properties are left out on purpose: a driver error keeps the row it refused
 * (`detail`), an HTTP client error the request it sent, an OAuth error its parameters.
 *
 * @param error anything thrown
 * @returns a plain object; a non-Error value is logged as its string form
 */
export function serializeError(error: unknown): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error), stack: undefined };
  const serialized = pino.stdSerializers.err(error);
  const code = (error as { code?: unknown; error?: unknown }).code ?? (error as { error?: unknown }).error;
  return {
    type: serialized.type,
    message: serialized.message,
    stack: serialized.stack,
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/**
 * Reads `LOG_LEVEL` for any service.
 *
 * @param value the variable as set, or undefined
 * @returns the level, `info` when unset or empty
 * @throws {ConfigError} naming `LOG_LEVEL` when the value is not one of {@link LOG_LEVELS}
 */
export function readLogLevel(value: string | undefined): LogLevel {
  if (value === undefined || value === '') return DEFAULT_LOG_LEVEL;
  const level = LOG_LEVELS.find((candidate) => candidate === value);
  if (!level) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/**
 * The one logger of a service: pino, one JSON object per line, with the service's name on every
 * line (`"service":"auth-server"`, in place of pino's pid and hostname), {@link LOG_REDACT_PATHS}
 * censored and errors written by {@link serializeError}.
 *
 * @param service the name on every line: `auth-server`, `resource-api`
 * @param level the least severe level written (`LOG_LEVEL`, see {@link readLogLevel})
 * @param destination where lines go (default stdout); tests pass a stream to read them
 * @returns a pino logger; `requestLogger` makes the per-request ones from it
 */
export function createLogger(service: string, level: LogLevel, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: [...LOG_REDACT_PATHS], censor: LOG_REDACT_CENSOR },
    serializers: { err: serializeError },
  }, destination);
}
