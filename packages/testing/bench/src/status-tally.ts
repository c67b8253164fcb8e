/** How a scenario judges one answer: expected (2xx or a refusal the scenario allows) or not. */
export interface ExpectedAnswers {
  /** Non-2xx answers that are not errors here, as `status` or `status:code` (RFC 9457 `code`), e.g. `422:insufficient_funds`. */
  allowed?: readonly string[];
  /** A check of 2xx bodies (e.g. introspection says `"active":true`); a 2xx failing it is unexpected. */
  okBody?: (body: string) => boolean;
}

/** Counts of answers by status, and the unexpected ones by `status` or `status:code`. */
export interface StatusTally {
  byStatus: Record<string, number>;
  unexpected: Record<string, number>;
  unexpectedCount: number;
}

/** A fresh, empty tally. */
export function newStatusTally(): StatusTally {
  return { byStatus: {}, unexpected: {}, unexpectedCount: 0 };
}

/**
 * Adds one answer to `tally` (mutated). A 2xx is expected unless `expected.okBody` refuses its
 * body (then it counts as `status:body`); any other status is expected only when `status` or
 * `status:code` is in `expected.allowed`, where `code` is the problem document's `code` member
 * (absent or unreadable JSON: just the status).
 *
 * @param status the HTTP status code
 * @param body the response body as text (may be empty)
 * @returns whether the answer was expected
 */
export function tallyAnswer(tally: StatusTally, expected: ExpectedAnswers, status: number, body: string): boolean {
  const statusKey = String(status);
  tally.byStatus[statusKey] = (tally.byStatus[statusKey] ?? 0) + 1;
  let key: string | undefined;
  if (status >= 200 && status < 300) {
    if (expected.okBody && !expected.okBody(body)) key = `${statusKey}:body`;
  } else {
    const code = problemCode(body);
    const withCode = code === undefined ? statusKey : `${statusKey}:${code}`;
    const allowed = expected.allowed ?? [];
    if (!allowed.includes(statusKey) && !allowed.includes(withCode)) key = withCode;
  }
  if (key === undefined) return true;
  tally.unexpected[key] = (tally.unexpected[key] ?? 0) + 1;
  tally.unexpectedCount += 1;
  return false;
}

/**
 * Counts transport failures (connection reset, timeout) as unexpected under `transport:<what>`.
 *
 * @param count how many (autocannon's `errors` and `timeouts`); 0 adds nothing
 */
export function tallyTransportErrors(tally: StatusTally, what: string, count: number): void {
  if (count <= 0) return;
  const key = `transport:${what}`;
  tally.unexpected[key] = (tally.unexpected[key] ?? 0) + count;
  tally.unexpectedCount += count;
}

/** The `code` member of an RFC 9457 problem document, if `body` is one. */
function problemCode(body: string): string | undefined {
  if (!body.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    const code = typeof parsed === 'object' && parsed !== null ? (parsed as { code?: unknown }).code : undefined;
    return typeof code === 'string' && /^[a-z0-9_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
