/**
 * Regression test for a 500 found by the resource-API fuzz test (packages/testing/faults, docs/testing.md):
 * `POST /v1/transfers` with `Content-Encoding: gzip` and a body that is not gzip answered 500
 * `internal_error`. body-parser passes the zlib failure on as the stream's own error with
 * `status: 400` added (no body-parser `type`), which `problemFromError` did not recognise.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';
import { problemFromError } from './problem-from-error.ts';

let api: TestApi;
let alice: Alice;
let partner: Connection;
let keyCounter = 0;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  partner = await connect(api, alice);
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

const body = (): string => JSON.stringify({
  source_account_id: alice.accounts[0]!.id, destination_account_id: alice.accounts[1]!.id, amount: '1.00', currency: 'CNY',
});

async function transfersBooked(): Promise<number> {
  const { rows } = await api.auth.database.db.raw<{ rows: Array<{ count: string }> }>('SELECT count(*) FROM ledger.transfers');
  return Number(rows[0]?.count);
}

async function post(encoding: string, raw: string | Buffer): Promise<Awaited<ReturnType<typeof call>>> {
  keyCounter += 1;
  return call(api, 'POST', '/v1/transfers', {
    token: partner.accessToken, rawBody: raw, headers: { 'content-encoding': encoding, 'idempotency-key': `encoding-${keyCounter}` },
  });
}

describe('a body that does not match its Content-Encoding', () => {
  test.each<[string, string, () => string | Buffer]>([
    ['gzip, plain JSON body (the fuzz case)', 'gzip', body],
    ['gzip, truncated gzip', 'gzip', () => gzipSync(body()).subarray(0, 12)],
    ['deflate, plain JSON body', 'deflate', body],
    ['br, plain JSON body', 'br', body],
  ])('%s is 400 invalid_request, not 500, and books nothing', async (_label, encoding, raw) => {
    const before = await transfersBooked();
    const answer = await post(encoding, raw());
    expect([answer.status, answer.headers.get('content-type'), answer.body.code, answer.body.detail])
      .toEqual([400, 'application/problem+json; charset=utf-8', 'invalid_request', 'the request body does not match its Content-Encoding']);
    expect(await transfersBooked()).toBe(before);
  });

  test('a body really compressed as it says is read (gzip and br): 201', async () => {
    for (const [encoding, raw] of [['gzip', gzipSync(body())], ['br', brotliCompressSync(body())]] as const) {
      const answer = await post(encoding, raw);
      expect(answer.status).toBe(201);
    }
  });

  test('an unknown encoding stays 415 unsupported_media_type', async () => {
    const answer = await post('x-unknown', body());
    expect([answer.status, answer.body.code]).toEqual([415, 'unsupported_media_type']);
  });
});

describe('problemFromError, http-errors shapes', () => {
  test('a 400 marked expose becomes invalid_request without echoing its message', () => {
    const { problem, unexpected } = problemFromError(Object.assign(new Error('secret library detail'), { status: 400, expose: true }));
    expect([problem.status, problem.code, problem.message, unexpected]).toEqual([400, 'invalid_request', 'the request could not be read', false]);
  });

  test('a status without expose, or another status, is still an unexpected 500', () => {
    expect(problemFromError(Object.assign(new Error('x'), { status: 400 })).problem.status).toBe(500);
    expect(problemFromError(Object.assign(new Error('x'), { status: 403, expose: true })).problem.status).toBe(500);
  });
});
