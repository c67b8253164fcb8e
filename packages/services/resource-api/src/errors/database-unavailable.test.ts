/**
 * Regression tests for the database-restart fault test (docs/testing.md): with PostgreSQL stopped, every /v1 call
 * answered 500 `internal_error` (the driver's ECONNREFUSED, then "Connection terminated", reached
 * `problemFromError` as unknown errors). Each case below makes the real failure against a real
 * server and checks it becomes 503 `database_unavailable`, while a bug in our SQL stays a 500.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { isDatabaseUnavailable } from './database-unavailable.ts';
import { problemFromError } from './problem-from-error.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** What `db.raw(sql)` threw (fails the test when it did not throw). */
async function failureOf(db: Knex, sql: string): Promise<unknown> {
  try {
    await db.raw(sql);
  } catch (error) {
    return error;
  }
  throw new Error(`${sql} did not fail`);
}

function expectUnavailable(error: unknown): void {
  expect(isDatabaseUnavailable(error)).toBe(true);
  const { problem, unexpected } = problemFromError(error);
  expect([problem.status, problem.code, problem.headers, unexpected]).toEqual([503, 'database_unavailable', { 'Retry-After': '5' }, false]);
}

describe('a database that cannot be used answers 503 database_unavailable, not 500', () => {
  test('nothing listens on the port (the server is stopped): ECONNREFUSED', async () => {
    const stopped = createDatabase({ url: 'postgres://nobody@127.0.0.1:1/nothing' });
    try {
      const error = await failureOf(stopped, 'SELECT 1');
      expect((error as { code?: string }).code).toBe('ECONNREFUSED');
      expectUnavailable(error);
    } finally {
      await stopped.destroy();
    }
  });

  test('the server terminates the session mid-query (a fast shutdown): 57P01', async () => {
    const victim = createDatabase({ url: database.url, applicationName: 'payapi-terminated', poolMax: 1 });
    try {
      const running = failureOf(victim, 'SELECT pg_sleep(10)');
      for (let tries = 0; tries < 100; tries += 1) {
        const { rows } = await database.db.raw<{ rows: Array<{ ended: boolean }> }>(
          `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'payapi-terminated' AND state = 'active'`);
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const error = await running;
      expect((error as { code?: string }).code).toBe('57P01');
      expectUnavailable(error);
      // The pool may hand out the dead connection once more before its 'end' event marks it
      // (knex's race): that query fails as unavailable too (503); the one after works.
      const next = await victim.raw<{ rows: Array<{ one: number }> }>('SELECT 1 AS one').catch((again: unknown) => again);
      if (!('rows' in (next as object))) expectUnavailable(next);
      expect((await victim.raw<{ rows: Array<{ one: number }> }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await victim.destroy();
    }
  });

  test('no pooled connection becomes free within the acquire timeout: KnexTimeoutError', async () => {
    const small = createDatabase({ url: database.url, poolMax: 1, acquireTimeoutMs: 200 });
    const holder = await small.transaction();
    try {
      const error = await failureOf(small, 'SELECT 1');
      expect((error as Error).name).toBe('KnexTimeoutError');
      expectUnavailable(error);
    } finally {
      await holder.rollback();
      await small.destroy();
    }
  });

  test('the server does not finish the statement within statement_timeout: 57014', async () => {
    const slow = createDatabase({ url: database.url, statementTimeoutMs: 100 });
    try {
      const error = await failureOf(slow, 'SELECT pg_sleep(2)');
      expect((error as { code?: string }).code).toBe('57014');
      expectUnavailable(error);
    } finally {
      await slow.destroy();
    }
  });

  test('no answer to a query within the client-side query timeout (a server that cannot cancel it)', async () => {
    const impatient = createDatabase({ url: database.url, statementTimeoutMs: 10_000, queryTimeoutMs: 200 });
    try {
      const startedAt = performance.now();
      const error = await failureOf(impatient, 'SELECT pg_sleep(2)');
      expect(performance.now() - startedAt).toBeLessThan(1_500);
      expect((error as Error).message).toMatch(/Query read timeout$/);
      expectUnavailable(error);
    } finally {
      await impatient.destroy();
    }
  });

  test('a host that accepts the connection and never speaks (a frozen server): the connect timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const frozen = createDatabase({ url: `postgres://nobody@127.0.0.1:${(silent.address() as AddressInfo).port}/nothing`, connectTimeoutMs: 200 });
    try {
      const startedAt = performance.now();
      const error = await failureOf(frozen, 'SELECT 1');
      expect(performance.now() - startedAt).toBeLessThan(1_500);
      expect((error as Error).message).toBe('timeout expired');
      expectUnavailable(error);
    } finally {
      await frozen.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('errors that are bugs stay 500 internal_error', () => {
  test('a syntax error in our SQL', async () => {
    const error = await failureOf(database.db, 'SELEC 1');
    expect((error as { code?: string }).code).toBe('42601');
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(problemFromError(error).problem.status).toBe(500);
  });

  test('a plain error whose message merely ends like a driver message, but carries a code', () => {
    const error = Object.assign(new Error('Connection terminated'), { code: 'ERR_SOMETHING_ELSE' });
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
