/**
 * Fault 3 (docs/testing.md), authorization-server half: generated requests to oidc-provider's public
 * endpoints (token, introspection, revocation, authorization, discovery, JWKS, userinfo,
 * registration) with real and hostile parameters and credentials. None may answer 5xx or hang.
 * oidc-provider's own error format (RFC 6749 §5.2 JSON, HTML error pages) is not checked here:
 * the authorization server keeps OAuth's own error format, not problem+json.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { mintTokens } from '@payapi/system-testing';
import { REDIRECT_URI } from '@payapi/system-testing';
import { startFaultSystem } from '../support/fault-system.ts';
import type { FaultSystem } from '../support/fault-system.ts';
import { histogram, maxMs, quantileMs, recordFigures } from '../support/figures.ts';
import { pick } from '../support/form.ts';
import { HangError, send } from '../support/http.ts';
import type { RawResponse } from '../support/http.ts';
import { authServerRequests } from './auth-requests.ts';
import type { AuthFuzzContext, AuthFuzzRequest } from './auth-requests.ts';
import { HEADER_SECTION_LIMIT_BYTES, headerSectionBytes } from './check-answer.ts';

const RUNS = pick(300, 2_000);
const ANSWER_BOUND_MS = 10_000;

let database: TestDatabase;
let faults: FaultSystem;
let context: AuthFuzzContext;

beforeAll(async () => {
  database = await createTestDatabase();
  faults = await startFaultSystem({ databaseUrl: database.url, users: 1, accountsPerUser: 1, openingBalanceMinor: 10_000n });
  const user = faults.partner.users[0];
  if (!user) throw new Error('no user');
  const tokens = await mintTokens(faults.system.auth.url, faults.partner.client, user);
  context = {
    clientId: faults.partner.client.client_id,
    clientSecret: faults.partner.client.client_secret as string,
    redirectUri: REDIRECT_URI,
    resource: faults.system.api.url,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
  };
}, 60_000);

afterAll(async () => {
  await faults?.stop();
  await database?.drop();
});

function describeRequest(request: AuthFuzzRequest): string {
  const cut = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text);
  const body = request.body === undefined ? '(none)' : Buffer.isBuffer(request.body) ? `bytes ${request.body.toString('hex').slice(0, 200)}` : cut(JSON.stringify(request.body));
  return `${request.label}\n${request.method} ${cut(request.path)}\n${Object.entries(request.headers).map(([name, value]) => `${name}: ${cut(JSON.stringify(value))}`).join('\n')}\nbody: ${body}`;
}

describe('fuzzing the authorization server', () => {
  test(`${RUNS} generated requests to token, introspection, revocation, authorization and the other public endpoints: no 5xx, no hang`, async () => {
    const durations: number[] = [];
    const statuses: string[] = [];
    let resets = 0;
    const startedAt = performance.now();
    const details = await fc.check(fc.asyncProperty(authServerRequests(context), async (request) => {
      let response: RawResponse;
      try {
        response = await send({ method: request.method, base: faults.system.auth.url, path: request.path, headers: request.headers, body: request.body, timeoutMs: ANSWER_BOUND_MS });
      } catch (error) {
        if (!(error instanceof HangError) && headerSectionBytes(request.method, request.path, request.headers) > HEADER_SECTION_LIMIT_BYTES) {
          resets += 1; // Node's parser refuses headers over 16 KiB and resets the connection
          return;
        }
        throw new Error(`${error instanceof HangError ? 'no answer in time' : `no answer: ${(error as Error).message}`}\n${describeRequest(request)}`);
      }
      durations.push(response.durationMs);
      statuses.push(`${request.label.split(' (')[0]}: ${response.status}`);
      if (response.status >= 500) {
        throw new Error(`answered ${response.status}: ${response.body.toString('utf8').slice(0, 300)}\n${describeRequest(request)}`);
      }
    }), { numRuns: RUNS });
    const failure = details.failed
      ? `failed after ${details.numRuns} requests (seed ${details.seed}, path "${details.counterexamplePath}"):\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`
      : '';
    expect(failure).toBe('');
    recordFigures('fuzz-auth-server', {
      requests: RUNS, answered: durations.length, resetForHeadersOver16KiB: resets, totalMs: Math.round(performance.now() - startedAt),
      p50Ms: quantileMs(durations, 0.5), p99Ms: quantileMs(durations, 0.99), slowestMs: maxMs(durations), statuses: histogram(statuses),
    });
    // The server still works after the fuzz: discovery answers.
    const discovery = await send({ method: 'GET', base: faults.system.auth.url, path: '/.well-known/openid-configuration', timeoutMs: ANSWER_BOUND_MS });
    expect(discovery.status).toBe(200);
  }, pick(60_000, 600_000));
});
