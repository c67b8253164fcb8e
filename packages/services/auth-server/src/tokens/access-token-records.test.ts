import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import { createAuthTestDatabase } from '../testing/index.ts';
import { createAccessTokenRecorder, findActiveAccessToken, recordAccessTokens } from './access-token-records.ts';
import type { AccessTokenRecord } from './access-token-records.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createAuthTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

function newRecord(overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord {
  return {
    jti: `jti-${randomUUID()}`,
    clientId: 'client-records',
    accountId: null,
    grantId: null,
    scope: 'webhooks:manage',
    expiresAt: Math.floor(Date.now() / 1000) + 300,
    ...overrides,
  };
}

/** Runs `work` and returns it with the INSERTs into auth.access_tokens it made. */
async function countingInserts<T>(work: () => Promise<T>): Promise<{ result: T; inserts: number }> {
  let inserts = 0;
  const listener = (query: { sql: string }): void => {
    if (/^\s*INSERT INTO auth\.access_tokens/.test(query.sql)) inserts += 1;
  };
  database.db.on('query', listener);
  try {
    return { result: await work(), inserts };
  } finally {
    database.db.off('query', listener);
  }
}

describe('access token records', () => {
  test('recordAccessTokens stores every field; a jti recorded again keeps its first record', async () => {
    const userToken = newRecord({ accountId: 'sub-1', grantId: 'grant-1', scope: 'accounts:read transfers:write' });
    const clientToken = newRecord();
    await recordAccessTokens(database.db, [userToken, clientToken]);
    await recordAccessTokens(database.db, [{ ...clientToken, scope: 'changed', clientId: 'someone-else' }]);
    expect(await findActiveAccessToken(database.db, clientToken.jti)).toEqual(clientToken);
    const { rows } = await database.db.raw<{ rows: Array<{ jti: string; client_id: string; account_id: string | null; grant_id: string | null; scope: string; expires_at: string }> }>(
      `SELECT jti, client_id, account_id, grant_id, scope, extract(epoch FROM expires_at)::bigint AS expires_at FROM auth.access_tokens WHERE jti = ?`,
      [userToken.jti]);
    expect(rows).toEqual([{
      jti: userToken.jti, client_id: 'client-records', account_id: 'sub-1', grant_id: 'grant-1',
      scope: 'accounts:read transfers:write', expires_at: String(userToken.expiresAt),
    }]);
  });

  test('the recorder writes the records of concurrent calls with one INSERT, and each call resolves once its record is stored', async () => {
    const record = createAccessTokenRecorder(database.db);
    const records = Array.from({ length: 20 }, () => newRecord());
    const { inserts } = await countingInserts(() => Promise.all(records.map((one) => record(one))));
    expect(inserts).toBe(1);
    for (const one of records) expect(await findActiveAccessToken(database.db, one.jti)).toEqual(one);
  });

  test('a record the database refuses fails its own call only; the others of its batch are stored', async () => {
    const record = createAccessTokenRecorder(database.db);
    const good = [newRecord(), newRecord()];
    // PostgreSQL text cannot hold U+0000: the batch's INSERT fails, then each record is tried alone.
    const refused = newRecord({ jti: 'jti-with-\u0000-inside' });
    const outcomes = await Promise.allSettled([record(good[0] as AccessTokenRecord), record(refused), record(good[1] as AccessTokenRecord)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    for (const one of good) expect(await findActiveAccessToken(database.db, one.jti)).toEqual(one);
  });

  test('a record made after a batch went out is written by a later statement, not lost', async () => {
    const record = createAccessTokenRecorder(database.db);
    const first = newRecord();
    const pending = record(first);
    await new Promise((resolve) => setImmediate(resolve));
    const second = newRecord();
    await Promise.all([pending, record(second)]);
    expect(await findActiveAccessToken(database.db, first.jti)).toEqual(first);
    expect(await findActiveAccessToken(database.db, second.jti)).toEqual(second);
  });
});
