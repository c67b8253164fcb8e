/**
 * Fault 3 (docs/testing.md), resource API half: requests generated with fast-check from the OpenAPI
 * document the running API serves (valid, near-valid and hostile values for every path, query and
 * header parameter and body; undocumented paths and methods; odd headers; good, tampered, odd or
 * missing credentials). Every answer must come within a bounded time, never 5xx, every error as
 * problem+json with a `code`; afterwards the books must hold and hold exactly the 201 transfers.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { WireTransfer } from '../support/books.ts';
import { expectBooksHold } from '../support/expect-books.ts';
import { startFaultSystem } from '../support/fault-system.ts';
import type { FaultSystem } from '../support/fault-system.ts';
import { histogram, maxMs, quantileMs, recordFigures } from '../support/figures.ts';
import { pick } from '../support/form.ts';
import { HangError, apiCall, jsonOf, send } from '../support/http.ts';
import type { RawResponse } from '../support/http.ts';
import { HEADER_SECTION_LIMIT_BYTES, answerViolations, fromApplication, headerSectionBytes } from './check-answer.ts';
import { resourceRequests } from './resource-requests.ts';
import type { Credentials, FuzzContext, FuzzRequest } from './resource-requests.ts';

const RUNS = pick(1_000, 10_000);
/** An answer slower than this is a hang. */
const ANSWER_BOUND_MS = 10_000;
const OPENING_BALANCE_MINOR = 100_000_000n;

let database: TestDatabase;
let faults: FaultSystem;
let document: Parameters<typeof resourceRequests>[0];
let context: FuzzContext;
/** Every transfer the API said it made (201), by id. */
const created = new Map<string, WireTransfer>();

beforeAll(async () => {
  database = await createTestDatabase();
  faults = await startFaultSystem({ databaseUrl: database.url, users: 2, accountsPerUser: 2, openingBalanceMinor: OPENING_BALANCE_MINOR });
  const served = await apiCall(faults.system.api.url, 'GET', '/openapi.json');
  expect(served.status).toBe(200);
  document = jsonOf(served) as typeof document;
  const own = faults.accounts.filter((account) => account.owner === 0).map((account) => account.id);
  // Two real transfers, so that GET /v1/transfers/{id} can find something.
  for (const [index, destination] of [own[1], faults.accounts.find((account) => account.owner === 1)?.id].entries()) {
    const made = await apiCall(faults.system.api.url, 'POST', '/v1/transfers', {
      token: await faults.token(0), headers: { 'idempotency-key': `fuzz-setup-${index}` },
      json: { source_account_id: own[0], destination_account_id: destination, amount: '1.00', currency: 'CNY' },
    });
    expect(made.status).toBe(201);
    const transfer = jsonOf(made) as WireTransfer;
    created.set(transfer.id, transfer);
  }
  const page = await apiCall(faults.system.api.url, 'GET', `/v1/accounts/${own[0]}/transactions?limit=1`, { token: await faults.token(0) });
  const cursor = (jsonOf(page) as { next_cursor: string | null }).next_cursor;
  expect(typeof cursor).toBe('string');
  context = {
    cursors: [cursor as string],
    ownAccountIds: own,
    otherAccountIds: faults.accounts.filter((account) => account.owner !== 0).map((account) => account.id),
    transferIds: [...created.keys()],
    users: faults.partner.users.length,
  };
}, 60_000);

afterAll(async () => {
  await faults?.stop();
  await database?.drop();
});

async function authorizationOf(credentials: Credentials): Promise<string | string[] | undefined> {
  switch (credentials.kind) {
    case 'none':
      return undefined;
    case 'raw':
      return credentials.value;
    case 'tampered': {
      const token = await faults.token(credentials.owner);
      return `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    }
    case 'token':
      return `${credentials.scheme} ${await faults.token(credentials.owner)}`;
  }
}

/** The request as a reader can replay it: method, path, headers (long values cut), body (cut). */
function describeRequest(request: FuzzRequest, authorization: string | string[] | undefined): string {
  const cut = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text);
  const headers = Object.entries({ ...request.headers, ...(authorization === undefined ? {} : { authorization }) })
    .map(([name, value]) => `${name}: ${cut(JSON.stringify(value))}`);
  const body = request.body === undefined ? '(none)' : Buffer.isBuffer(request.body) ? `bytes ${request.body.toString('hex').slice(0, 200)}` : cut(JSON.stringify(request.body));
  return `${request.label}\n${request.method} ${cut(request.path)}\n${headers.join('\n')}\nbody: ${body}`;
}

/** Empty for a passing run; else the seed and path to replay it, and the smallest failing request (fast-check's own report prints the whole value, megabytes for a big body). */
function failureReport<T>(details: fc.RunDetails<T>): string {
  if (!details.failed) return '';
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return `failed after ${details.numRuns} requests (seed ${details.seed}, path "${details.counterexamplePath}", shrunk ${details.numShrinks} times):\n${error}`;
}

describe('fuzzing the resource API from its OpenAPI document', () => {
  test(`${RUNS} generated requests: no 5xx, no hang, every error problem+json with a code, books intact`, async () => {
    const durations: number[] = [];
    const statuses: number[] = [];
    const labels: string[] = [];
    let parserRefusals = 0;
    let resets = 0;
    let slowest = { ms: 0, request: '' };
    const startedAt = performance.now();

    const details = await fc.check(fc.asyncProperty(resourceRequests(document, context), async (request) => {
      const authorization = await authorizationOf(request.credentials);
      const headers = { ...request.headers, ...(authorization === undefined ? {} : { authorization }) };
      let response: RawResponse;
      try {
        response = await send({ method: request.method, base: faults.system.api.url, path: request.path, headers, body: request.body, timeoutMs: ANSWER_BOUND_MS });
      } catch (error) {
        if (!(error instanceof HangError) && headerSectionBytes(request.method, request.path, headers) > HEADER_SECTION_LIMIT_BYTES) {
          // Node's parser refuses it (431) and resets the connection while the client still sends.
          resets += 1;
          return;
        }
        const what = error instanceof HangError ? `no answer within ${ANSWER_BOUND_MS} ms` : `no answer: ${(error as Error).message}`;
        throw new Error(`${what}\n${describeRequest(request, authorization)}`);
      }
      durations.push(response.durationMs);
      statuses.push(response.status);
      labels.push(`${request.label.replace(/ \(.*\)$/, '')}: ${response.status}`);
      if (!fromApplication(response)) parserRefusals += 1;
      if (response.durationMs > slowest.ms) slowest = { ms: response.durationMs, request: `${request.method} ${request.path.slice(0, 120)} (${request.label})` };
      if (response.status === 201 && request.method === 'POST' && /^\/v1\/transfers\/?$/.test(request.path)) {
        const transfer = jsonOf(response) as WireTransfer;
        created.set(transfer.id, transfer);
      }
      const violations = answerViolations(request.method, request.path, response);
      if (violations.length > 0) {
        throw new Error(`${violations.join('; ')}\nanswer: ${response.status} ${response.body.toString('utf8').slice(0, 300)}\n${describeRequest(request, authorization)}`);
      }
    }), { numRuns: RUNS });
    expect(failureReport(details)).toBe('');

    recordFigures('fuzz-resource-api', {
      requests: RUNS, answered: durations.length, resetForHeadersOver16KiB: resets, totalMs: Math.round(performance.now() - startedAt),
      p50Ms: quantileMs(durations, 0.5), p99Ms: quantileMs(durations, 0.99), slowestMs: maxMs(durations), slowestRequest: slowest.request,
      statuses: histogram(statuses), answeredByNodeHttpParser: parserRefusals, transfersCreated: created.size - 2,
      byKind: histogram(labels),
    });

    // The books: exactly the transfers answered 201 (the two of the setup included), each once, and nothing else moved.
    await expectBooksHold(faults, created, { openingBalanceMinor: OPENING_BALANCE_MINOR });
  }, pick(60_000, 600_000));
});
