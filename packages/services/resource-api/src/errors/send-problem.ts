import { LedgerError } from '@payapi/ledger';
import type { ErrorRequestHandler, Response } from 'express';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import type { ApiProblem } from './problem.ts';
import { problemFromError } from './problem-from-error.ts';

/**
 * Writes `problem` as `application/problem+json` (RFC 9457 §3) with its extra headers and
 * `Cache-Control: no-store` (an error must not be cached in front of the client); its `type` is
 * `${typeBase}${code}` (`problemTypeBase`).
 */
export function sendProblem(res: Response, problem: ApiProblem, typeBase: string): void {
  for (const [name, value] of Object.entries(problem.headers)) res.append(name, value);
  res.locals.problemCode = problem.code;
  res.status(problem.status).set('Cache-Control', 'no-store').type(PROBLEM_CONTENT_TYPE);
  res.json(problem.toDocument(typeBase));
}

/**
 * The app's last middleware: every error becomes problem+json (see `problemFromError`) whose `type`
 * is the page of its code under `typeBase` (`problemTypeBase`). Unexpected errors are logged with
 * their stack on the request's logger; their answer reveals nothing. When headers were already
 * sent, Express's default handling (closing the connection) is kept.
 */
export const handleErrors = (typeBase: string): ErrorRequestHandler => (error, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const { problem, unexpected } = problemFromError(error);
  // A refusal the ledger replays under an idempotency key is the first answer again (docs/resource-api.md, "Idempotency").
  if (error instanceof LedgerError && error.replayed) res.set('Idempotent-Replayed', 'true');
  if (unexpected) req.log.error({ err: error }, 'unexpected error while answering');
  else if (problem.status >= 500) req.log.warn({ code: problem.code }, problem.message);
  sendProblem(res, problem, typeBase);
};
