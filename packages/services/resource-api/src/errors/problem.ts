import type { ProblemCode } from './problem-codes.ts';

/**
 * Base of the `type` URIs of this API's problem documents (RFC 9457 §3.1.1): `${base}${code}` is the
 * page `GET /problems/{code}` of the API itself, which explains the code and what to do.
 *
 * @param publicUrl `RESOURCE_API_URL`, without a trailing slash
 */
export function problemTypeBase(publicUrl: string): string {
  return `${publicUrl}/problems/`;
}

/** The media type of every error answer (RFC 9457 §3). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem document as this API sends it: every member always present. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
}

/** Titles per status: short, human, never request-specific (RFC 9457 §3.1.3). */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * An expected failure of a request, answered as problem+json with a stable snake_case `code`.
 * `headers` are added to the answer (`WWW-Authenticate`, `Allow`, `Retry-After`). Anything else
 * thrown is a bug and becomes a 500 that reveals nothing (see `problemFromError`).
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly headers: Readonly<Record<string, string | string[]>>;

  constructor(status: number, code: ProblemCode, detail: string, headers: Record<string, string | string[]> = {}) {
    super(detail);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  /**
   * The body to send (RFC 9457 §3.1).
   *
   * @param typeBase see {@link problemTypeBase}
   */
  toDocument(typeBase: string): ProblemDocument {
    return {
      type: `${typeBase}${this.code}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      code: this.code,
    };
  }
}
