import { EventsError } from '@payapi/events';
import { LedgerError } from '@payapi/ledger';
import { ApiProblem } from './problem.ts';
import type { ProblemCode } from './problem-codes.ts';
import { isDatabaseUnavailable } from './database-unavailable.ts';
import { EVENTS_ERROR_STATUS } from './events-status.ts';
import { LEDGER_ERROR_STATUS } from './ledger-status.ts';

/** What body-parser (express.json) attaches to its errors. */
interface BodyParserError {
  type: string;
  status: number;
}

/** What express-openapi-validator throws: an HttpError with the failed checks. */
interface ValidatorError {
  status: number;
  errors: Array<{ path?: string; message?: string; errorCode?: string }>;
  headers?: Record<string, string>;
}

const BODY_PARSER_PROBLEMS: Readonly<Record<string, [number, ProblemCode, string]>> = {
  'entity.parse.failed': [400, 'invalid_request', 'the request body is not valid JSON'],
  'entity.too.large': [413, 'content_too_large', 'the request body is larger than 64 KiB'],
  'encoding.unsupported': [415, 'unsupported_media_type', 'the request body encoding is not supported'],
  'charset.unsupported': [415, 'unsupported_media_type', 'the request body must be UTF-8'],
  'request.aborted': [400, 'invalid_request', 'the request body was not received in full'],
  'request.size.invalid': [400, 'invalid_request', 'the request body length does not match Content-Length'],
};

/** Longest `detail` built from validator messages; the rest is cut (a body could list many errors). */
const DETAIL_LENGTH_MAX = 500;

/**
 * Turns anything thrown while handling a request into the problem to answer (RFC 9457).
 *
 * - {@link ApiProblem}: as it is.
 * - `LedgerError`: the ledger's `code` unchanged, status from `LEDGER_ERROR_STATUS`; `ledger_busy` adds `Retry-After: 1`.
 * - `EventsError`: its `code` unchanged, status from `EVENTS_ERROR_STATUS`.
 * - body-parser errors: malformed JSON 400, over 64 KiB 413, unsupported charset 415.
 * - express-openapi-validator errors: 400 `invalid_request` (or `invalid_amount` when only `amount` is wrong),
 *   404 `not_found`, 405 `method_not_allowed` with `Allow`, 415 `unsupported_media_type`.
 * - other client errors in http-errors' shape (status 400, `expose`), as body-parser throws for a
 *   body that does not decompress per its `Content-Encoding`: 400 `invalid_request`, detail not echoed.
 * - the database down, restarting or not answering in time (see `isDatabaseUnavailable`): 503
 *   `database_unavailable` with `Retry-After: 5`, as `/readyz` says it.
 * - anything else: 500 `internal_error` whose detail says nothing about the cause (the log has it).
 *
 * @returns the problem, and whether the error was unexpected (to be logged as a bug)
 */
export function problemFromError(error: unknown): { problem: ApiProblem; unexpected: boolean } {
  if (error instanceof ApiProblem) return { problem: error, unexpected: false };
  if (error instanceof LedgerError) {
    const headers: Record<string, string> = error.code === 'ledger_busy' ? { 'Retry-After': '1' } : {};
    return { problem: new ApiProblem(LEDGER_ERROR_STATUS[error.code], error.code, error.message, headers), unexpected: false };
  }
  if (error instanceof EventsError) {
    const headers: Record<string, string> = error.code === 'rate_limited' ? { 'Retry-After': '60' } : {};
    return { problem: new ApiProblem(EVENTS_ERROR_STATUS[error.code], error.code, error.message, headers), unexpected: false };
  }
  if (isBodyParserError(error)) {
    const known = BODY_PARSER_PROBLEMS[error.type];
    if (known) return { problem: new ApiProblem(known[0], known[1], known[2]), unexpected: false };
  }
  if (isValidatorError(error)) {
    const problem = validatorProblem(error);
    if (problem) return { problem, unexpected: false };
  }
  if (isUnreadableRequest(error)) {
    const detail = isDecompressionError(error) ? 'the request body does not match its Content-Encoding' : 'the request could not be read';
    return { problem: new ApiProblem(400, 'invalid_request', detail), unexpected: false };
  }
  if (isDatabaseUnavailable(error)) {
    return { problem: new ApiProblem(503, 'database_unavailable', 'the database is unavailable or did not answer in time; try again later', { 'Retry-After': '5' }), unexpected: false };
  }
  return { problem: new ApiProblem(500, 'internal_error', 'the server could not answer this request; try again later'), unexpected: true };
}

function validatorProblem(error: ValidatorError): ApiProblem | null {
  const messages = error.errors.map((item) => describe(item));
  const detail = messages.join('; ').slice(0, DETAIL_LENGTH_MAX);
  switch (error.status) {
    case 400: {
      // A present but malformed amount keeps the ledger's code; a missing one is a missing field like any other.
      const onlyAmount = error.errors.length > 0
        && error.errors.every((item) => item.path === '/body/amount' && item.errorCode !== 'required.openapi.validation');
      return new ApiProblem(400, onlyAmount ? 'invalid_amount' : 'invalid_request', detail);
    }
    case 404:
      return new ApiProblem(404, 'not_found', 'no such resource');
    case 405:
      return new ApiProblem(405, 'method_not_allowed', 'this method is not allowed on this resource', error.headers?.Allow ? { Allow: error.headers.Allow } : {});
    case 413:
      return new ApiProblem(413, 'content_too_large', 'the request body is larger than 64 KiB');
    case 415:
      return new ApiProblem(415, 'unsupported_media_type', 'the request body must be application/json');
    default:
      return null;
  }
}

function describe(item: { path?: string; message?: string }): string {
  const where = (item.path ?? '').replace(/^\//, '').replaceAll('/', '.');
  return where ? `${where}: ${item.message ?? 'is invalid'}` : (item.message ?? 'invalid request');
}

/**
 * A 400 in http-errors' shape (`status` 400, `expose` true) without a body-parser `type`: body-parser
 * passes on a zlib or brotli failure this way (the stream's error with `status` added), as do
 * Express's own client errors. Its message is the library's, so it is not echoed.
 */
function isUnreadableRequest(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 400
    && (error as { expose?: unknown }).expose === true;
}

/** zlib (`Z_DATA_ERROR`, `Z_BUF_ERROR`…) and brotli (`ERR__ERROR_…`) stream errors carry such codes. */
function isDecompressionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (/^Z_/.test(code) || /^ERR__ERROR_/.test(code) || code === 'ERR_BROTLI_DECOMPRESSION_FAILED');
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string'
    && typeof (error as { status?: unknown }).status === 'number';
}

function isValidatorError(error: unknown): error is ValidatorError {
  return typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number'
    && Array.isArray((error as { errors?: unknown }).errors);
}
