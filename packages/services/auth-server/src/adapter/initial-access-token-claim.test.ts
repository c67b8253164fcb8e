import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { errors } from 'oidc-provider';
import { createAuthTestDatabase } from '../testing/index.ts';
import { INITIAL_ACCESS_TOKEN_UNKNOWN, INITIAL_ACCESS_TOKEN_USED, releaseInitialAccessToken } from './initial-access-token-claim.ts';
import { createKnexAdapter } from './knex-adapter.ts';

let database: TestDatabase;
/** A second connection pool on the same database: another server instance. */
let otherServerDb: Knex;

beforeAll(async () => {
  database = await createAuthTestDatabase();
  otherServerDb = createDatabase({ url: database.url, poolMax: 10 });
});
afterAll(async () => {
  await otherServerDb.destroy();
  await database.drop();
});

/** Stores an initial access token as `createInitialAccessToken` does, living `ttlSeconds`. */
async function issue(ttlSeconds = 600): Promise<string> {
  const id = `iat-${randomUUID()}`;
  const now = Math.floor(Date.now() / 1000);
  await new (createKnexAdapter(database.db))('InitialAccessToken').upsert(id, { jti: id, kind: 'InitialAccessToken', iat: now, exp: now + ttlSeconds }, ttlSeconds);
  return id;
}

/** What a find answered: the payload, or the description of the InvalidToken it threw. */
async function findOn(db: Knex, id: string): Promise<{ payload?: unknown; refused?: string }> {
  try {
    return { payload: await new (createKnexAdapter(db))('InitialAccessToken').find(id) };
  } catch (error) {
    expect(error).toBeInstanceOf(errors.InvalidToken);
    return { refused: (error as errors.InvalidToken).error_description };
  }
}

describe('InitialAccessToken find claims the token for one registration', () => {
  test('of 40 parallel finds of one token on two servers exactly one gets it, the others are told it was used', async () => {
    const id = await issue();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => findOn(i % 2 === 0 ? database.db : otherServerDb, id)));
    const claimed = results.filter((result) => result.payload !== undefined);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]?.payload).toEqual(expect.objectContaining({ jti: id, kind: 'InitialAccessToken' }));
    expect(claimed[0]?.payload).not.toHaveProperty('consumed');
    expect(results.filter((result) => result.refused === INITIAL_ACCESS_TOKEN_USED)).toHaveLength(39);
  });

  test('an unknown, an unstorable or an expired token is refused as unknown or expired', async () => {
    expect(await findOn(database.db, `never-${randomUUID()}`)).toEqual({ refused: INITIAL_ACCESS_TOKEN_UNKNOWN });
    expect(await findOn(database.db, 'x'.repeat(600))).toEqual({ refused: INITIAL_ACCESS_TOKEN_UNKNOWN });
    const expired = await issue(-1);
    expect(await findOn(database.db, expired)).toEqual({ refused: INITIAL_ACCESS_TOKEN_UNKNOWN });
  });

  test('a released claim can be claimed once more; releasing a token nobody claimed changes nothing', async () => {
    const id = await issue();
    expect((await findOn(database.db, id)).payload).toBeDefined();
    await releaseInitialAccessToken(database.db, id);
    expect((await findOn(otherServerDb, id)).payload).toBeDefined();
    expect(await findOn(database.db, id)).toEqual({ refused: INITIAL_ACCESS_TOKEN_USED });
    const untouched = await issue();
    await releaseInitialAccessToken(database.db, untouched);
    expect((await findOn(database.db, untouched)).payload).toBeDefined();
  });
});
